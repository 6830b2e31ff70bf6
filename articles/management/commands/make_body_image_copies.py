"""Make the WebP copies of every image the articles show that has none yet (images imported before
copies were made), and render those articles again so that their bodies offer them:
`manage.py make_body_image_copies`. Safe to run again: images with their copies are skipped."""

import re

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand

from articles.image_fields import BODY_IMAGE_FOLDER
from articles.importers.stored_images import body_images_make_copies
from articles.models import Article

BATCH = 500


class Command(BaseCommand):
    help = "Make the missing WebP copies of the images inside articles and render those articles again."

    def handle(self, *args, **options):
        prefix = default_storage.url(f"{BODY_IMAGE_FOLDER}/")
        address = re.compile(re.escape(prefix) + r"([0-9a-f]{24}-\d+x\d+\.(?:jpg|png|webp))")
        names: set[str] = set()
        bodies = Article.objects.filter(body__contains=prefix).order_by("pk").values_list("pk", "body")
        last_pk = 0
        while batch := list(bodies.filter(pk__gt=last_pk)[:BATCH]):
            for _pk, body in batch:
                names.update(f"{BODY_IMAGE_FOLDER}/{file_name}" for file_name in address.findall(body))
            last_pk = batch[-1][0]
        changed = body_images_make_copies(names=sorted(names))
        self.stdout.write(f"{len(names)} images checked, {changed} articles rendered again.")
