"""What `make run` calls after migrating: the seed documents as two columns (once), their prices,
and the demo accounts, whose logins it prints every time."""

from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.importers.report import format_report
from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Author, Category, Column
from members.models import Membership, Plan
from members.services import membership_grant, plan_set_price

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
XIAOBOT_PAGE = "000_e8d6d63f2d1343cd.txt"
LIBRARY = {
    "title": "Sora 学习资料库",
    "author": "Sora 学习小组",
    "tagline": "飞书文档、学习清单与整本书稿，一站读完 Sora。",
    "intro": "把散落在飞书、学习清单和书稿里的 Sora 资料整理成一个专栏：\n\n"
    "- 深度解析与资讯合集\n- 学习资料汇总（免费）\n- 《Sora 从入门到精通》书稿，按章阅读\n\n"
    "订阅后可读全部内容，后续更新也包含在内。",
    # file name → how many of its articles are free to read
    "documents": {
        "001_2629df78d859b55e.txt": 0,
        "002_a1fcf3bf9474e0a8.txt": 1,
        "003_8ce24fcfc7872989.txt": 0,
        "004_6da403e4822e7372.txt": 1,
    },
}
DEMO_EDITOR = ("editor@example.com", "portal-demo-editor")
DEMO_READER = ("reader@example.com", "portal-demo-reader")


class Command(BaseCommand):
    help = "Import the seed documents once and create the demo editor and reader."

    def handle(self, *args, **options):
        if Column.objects.exists():
            self.stdout.write("Content is already there; the seed documents were not imported again.")
        else:
            self.import_seeds()
        self.create_accounts()

    @transaction.atomic
    def import_seeds(self):
        category, _ = Category.objects.get_or_create(name="AI 视频")
        page = import_uploads(uploads=[Upload(XIAOBOT_PAGE, (SEEDS / XIAOBOT_PAGE).read_bytes())], options=ImportOptions(), dry_run=False)
        self.stdout.write(format_report(page))
        library = Column.objects.create(
            title=LIBRARY["title"], tagline=LIBRARY["tagline"], intro=LIBRARY["intro"], status=Column.Status.PUBLISHED, category=category
        )
        library.authors.add(Author.objects.create(display_name=LIBRARY["author"]))
        for name, free_first in LIBRARY["documents"].items():
            report = import_uploads(
                uploads=[Upload(name, (SEEDS / name).read_bytes())],
                options=ImportOptions(column_slug=library.slug, free_first=free_first),
                dry_run=False,
            )
            self.stdout.write(format_report(report))
        if not page.ok:
            raise CommandError("The seed column page did not import; see above.")
        column = Column.objects.exclude(pk=library.pk).get()
        column.category = category
        column.tagline = "保姆级 Sora 干货：前沿资讯、通识、工具、提示词与变现案例。"
        column.save()
        plan_set_price(column=column, kind=Plan.Kind.LIFETIME, price_fen=1000)
        plan_set_price(column=library, kind=Plan.Kind.ANNUAL, price_fen=9900)
        plan_set_price(column=library, kind=Plan.Kind.LIFETIME, price_fen=19900)

    def create_accounts(self):
        editor = self.account(*DEMO_EDITOR, is_staff=True, is_superuser=True)
        # A superuser has every permission anyway; granted by name, the admin shows which one lets an editor read every article.
        editor.user_permissions.add(Permission.objects.get(content_type__app_label="members", codename="read_all_articles"))
        reader = self.account(*DEMO_READER)
        joined = Column.objects.filter(title=LIBRARY["title"]).first() or Column.objects.first()
        if joined and not Membership.objects.filter(user=reader, column=joined).exists():
            membership_grant(user=reader, column=joined, source=Membership.Source.COMPLIMENTARY, days=365, note="demo reader")
        self.stdout.write(self.style.SUCCESS("\nDemo accounts (for trying the site; change or delete them anywhere real):"))
        self.stdout.write(f"  editor  {DEMO_EDITOR[0]} / {DEMO_EDITOR[1]}   → /admin/")
        member_of = f"member of 《{joined.title}》 for a year" if joined else "no memberships"
        self.stdout.write(f"  reader  {DEMO_READER[0]} / {DEMO_READER[1]}   ({member_of})")
        return editor, reader

    def account(self, email, password, **flags):
        users = get_user_model().objects
        user = users.filter(email=email).first()
        if user is None:
            user = users.create_user(username=email.split("@")[0], email=email, password=password, **flags)
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user
