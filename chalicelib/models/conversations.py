"""The reply inbox: one conversation per (number, contact phone), its inbound messages,
and a small per-user state item (version for ETags, unread count for the badge)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import EpochMsAttribute, region, table_name

STATE_ID = "#state"  # the per-user state item shares the table; it has no `recent`


class RecentConversations(GlobalSecondaryIndex["ConversationModel"]):
    """A user's conversations newest first. Sparse: the state item is not in it."""

    class Meta:
        index_name = "recent"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    recent = UnicodeAttribute(range_key=True)  # "<last_at ms:013d>#<conversation_id>"


class ConversationModel(Model):
    class Meta:
        table_name = table_name("conversations")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(range_key=True)  # derived from (number, phone)
    session_id = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    recent = UnicodeAttribute(null=True)
    last_at = NumberAttribute(null=True)
    # Preview of the last inbound message; hidden once its retention has passed.
    last_in_text = UnicodeAttribute(null=True)
    last_in_expires = EpochMsAttribute(null=True)
    last_in_kind = UnicodeAttribute(null=True)  # the last reply's media kind, if media
    unread = NumberAttribute(default=0)  # inbound messages since last read
    read_at = NumberAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)  # the last reply's campaign
    campaign_ids = UnicodeSetAttribute(null=True)  # every campaign a reply went to
    opted_out = BooleanAttribute(default=False)
    search = UnicodeAttribute(null=True)  # lower-cased name, phone and last text
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    # Only on the state item.
    version = NumberAttribute(null=True)
    unread_conversations = NumberAttribute(null=True)
    recent_index = RecentConversations()


class ConversationMessageModel(Model):
    """An inbound message, or an answer sent from the app (direction "out"). Inbound ones
    are keyed by time and WhatsApp id, so a re-sent frame is the same item; answers by
    time and reply id. Expires after the account's retention (TTL)."""

    class Meta:
        table_name = table_name("conversation_messages")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    conversation_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)  # "<ts ms:013d>#<wa_message_id>"
    user_id = UnicodeAttribute()
    direction = UnicodeAttribute(default="in")
    body = UnicodeAttribute()
    wa_message_id = UnicodeAttribute(null=True)  # an answer learns its id from the results
    at = NumberAttribute()
    campaign_id = UnicodeAttribute(null=True)
    received_at = NumberAttribute()
    expires_at = TTLAttribute(null=True)
    # Inbound media: WhatsApp's type (image, video, ptt, document, sticker, location, ...);
    # the body then holds the caption (or nothing). None for a plain text.
    kind = UnicodeAttribute(null=True)
    # An answer: the pseudo-campaign id of its message in the send pipeline (its status
    # and WhatsApp id are read from there), its image, and who sent it.
    reply_id = UnicodeAttribute(null=True)
    media_key = UnicodeAttribute(null=True)


class QuickReplyModel(Model):
    """A saved answer of an account: a name to pick it by and a template text."""

    class Meta:
        table_name = table_name("quick_replies")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    quick_reply_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
