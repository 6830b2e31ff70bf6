"""What a WeChat sign-in keeps across apps: every app's openid on the one account, and the account
of a reader first known by openid once WeChat starts giving their unionid.

The contract with payments: a reader's SocialAccount (provider "weixin") carries
extra_data["openids"] = {app id: openid}, one entry per app they have signed in through;
openid_for(user, app_id) reads it (WeChat Pay's JSAPI needs the 公众号's openid)."""

from allauth.socialaccount.models import SocialAccount, SocialLogin


def merge_known_account(sociallogin: SocialLogin) -> None:
    """Runs before allauth looks the account up, which replaces its extra_data with this sign-in's:
    the openids of the other apps are carried over first.

    Without a unionid (a 公众号 not yet bound to a 开放平台 account) the uid is the openid; when the
    same reader later comes with a unionid, that account takes the unionid as its uid instead of a
    second account being made for them."""
    account = sociallogin.account
    known = SocialAccount.objects.filter(provider=account.provider, uid=account.uid).first()
    openid = account.extra_data["openid"]
    if known is None and account.uid != openid:
        known = SocialAccount.objects.filter(provider=account.provider, uid=openid).first()
        if known is not None:
            known.uid = account.uid
            known.save(update_fields=["uid"])
    if known is not None:
        account.extra_data["openids"] = {**known.extra_data.get("openids", {}), **account.extra_data["openids"]}


def openid_for(user, app_id: str) -> str | None:
    """The reader's openid in the WeChat app `app_id`, if they have signed in through it."""
    for extra_data in SocialAccount.objects.filter(user_id=user.pk, provider="weixin").values_list("extra_data", flat=True):
        openid = (extra_data.get("openids") or {}).get(app_id)
        if openid:
            return openid
    return None
