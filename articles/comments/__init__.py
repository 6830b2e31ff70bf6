"""Comments under articles: rendering (`rendering`), who may do what (`rules`), reads
(`selectors`), writes (`services`), pages and forms (`views`, `forms`, `urls`), emails
(`emails`, `tasks`) and admin (`admin`). Who may read a members-only article's comments is the
paywall's answer, from members.access."""
