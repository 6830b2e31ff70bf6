"""Admin's per-column dashboard: members over time, revenue by month, plan mix."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from articles.models import Column
from members.charts import bar_chart, line_chart
from members.money import yuan
from members.selectors import column_dashboard


def rounded_yuan(fen: float) -> str:
    """For headline figures and chart axes: ¥6,060."""
    return f"¥{fen / 100:,.0f}"


@staff_member_required
def column_dashboard_view(request, slug):
    if not request.user.has_perm("members.view_order"):
        raise PermissionDenied
    column = get_object_or_404(Column, slug=slug)
    figures = column_dashboard(column)
    short_months = [month[2:] for month in figures.months]
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard: %(title)s") % {"title": column.title},
        "column": column,
        "figures": figures,
        "revenue_total": rounded_yuan(sum(figures.revenue_fen_by_month)),
        "top_referrers": [
            {"email": row["referrer__email"], "paid_orders": row["paid_orders"], "commission": f"¥{yuan(row['commission_fen'])}"}
            for row in figures.top_referrers
        ],
        "members_chart": line_chart(short_months, figures.members_at_month_end, title=_("Members at the end of each month")),
        "revenue_chart": bar_chart(short_months, figures.revenue_fen_by_month, title=_("Revenue by month"), format_value=rounded_yuan),
        "grants_chart": bar_chart(short_months, figures.new_grants_by_month, title=_("New and renewed memberships by month")),
    }
    return TemplateResponse(request, "admin/members/dashboard.html", context)
