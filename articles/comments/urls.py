"""The comment addresses, part of the articles app's URLs (articles/urls.py adds them)."""

from django.urls import path

from articles.comments import views

urlpatterns = [
    path("a/<int:pk>/comments/", views.comments_page, name="comments"),
    path("a/<int:pk>/comments/block/", views.comments_block, name="comments-block"),
    path("a/<int:pk>/comments/new/", views.comment_new, name="comment-new"),
    path("comments/<int:comment_id>/edit/", views.comment_edit_page, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete_view, name="comment-delete"),
    path("comments/<int:comment_id>/like/", views.comment_like, name="comment-like"),
    path("comments/<int:comment_id>/report/", views.comment_report_page, name="comment-report"),
    path("comments/<int:comment_id>/moderate/", views.comment_moderate_view, name="comment-moderate"),
    path("comments/emails/", views.comment_email_settings, name="comment-email-settings"),
    path("comments/emails/unsubscribe/<str:token>/", views.comment_emails_unsubscribe, name="comment-emails-unsubscribe"),
]
