"""Small SVG charts drawn on the server: no scripts, nothing fetched, readable without JavaScript.
Pure functions from numbers to markup; every text is escaped."""

from django.utils.html import escape

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 56, 36, 16
BAR_COLOUR, LINE_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#c2410c", "#2563eb", "#e4e7eb", "#57606a"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def frame(title: str, top: float, format_value, body: list[str]) -> str:
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    grid = []
    for fraction in (0, 0.5, 1):
        y = MARGIN_TOP + plot_height * (1 - fraction)
        grid.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        grid.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{TEXT_COLOUR}">{escape(format_value(top * fraction))}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(grid)}{''.join(body)}</svg>"
    )


def x_positions(count: int) -> tuple[float, float]:
    """Slot width and the x of the first slot's centre for `count` slots."""
    slot = (WIDTH - MARGIN_LEFT - 8) / max(count, 1)
    return slot, MARGIN_LEFT + slot / 2


def label(x: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" font-size="11" fill="{TEXT_COLOUR}">{escape(text)}</text>'


def bar_chart(labels: list[str], values: list[float], *, title: str, format_value=lambda value: f"{value:g}") -> str:
    top = nice_ceiling(max(values, default=0))
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot, first = x_positions(len(values))
    body = []
    for index, (text, value) in enumerate(zip(labels, values, strict=True)):
        centre = first + slot * index
        height = plot_height * value / top
        body.append(
            f'<rect x="{centre - slot * 0.35:.1f}" y="{MARGIN_TOP + plot_height - height:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{BAR_COLOUR}"><title>{escape(text)}: {escape(format_value(value))}</title></rect>'
        )
        body.append(label(centre, text))
    return frame(title, top, format_value, body)


def line_chart(labels: list[str], values: list[float], *, title: str, format_value=lambda value: f"{value:g}") -> str:
    top = nice_ceiling(max(values, default=0))
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot, first = x_positions(len(values))
    points = [(first + slot * index, MARGIN_TOP + plot_height * (1 - value / top)) for index, value in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body = [f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>'] if points else []
    for (x, y), text, value in zip(points, labels, values, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOUR}"><title>{escape(text)}: {escape(format_value(value))}</title></circle>')
        body.append(label(x, text))
    return frame(title, top, format_value, body)
