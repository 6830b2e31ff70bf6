"""A column's export for its author (issue 19): its articles as Markdown with front matter and
their images, in a form the portal's own import reads back as it was, and its members and orders
as CSV. column.py says what the export holds; jobs.py runs admin's exports in the background;
`python manage.py export_column` writes one in the foreground."""
