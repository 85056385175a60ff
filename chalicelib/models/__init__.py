"""All pynamodb models. ``TABLE_MODELS`` is the single list of tables to create
(local stack, tests and infra/aws all read it)."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.models.agents import AgentModel, ConnectionModel
from chalicelib.models.billing import BillingAccountModel, QuotaReservationModel, StripeEventModel
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel, MessageLogModel
from chalicelib.models.contacts import (
    ContactModel,
    ContactTagModel,
    ImportModel,
    OptOutModel,
    OptOutReviewModel,
)
from chalicelib.models.conversations import (
    ConversationMessageModel,
    ConversationModel,
    QuickReplyModel,
)
from chalicelib.models.sessions import NotificationModel, WaSessionModel
from chalicelib.models.system import RateLimitModel, SystemModel
from chalicelib.models.tokens import ApiTokenModel, PasswordResetModel
from chalicelib.models.users import UserModel

TABLE_MODELS: list[type[Model]] = [
    UserModel,
    ApiTokenModel,
    PasswordResetModel,
    RateLimitModel,
    SystemModel,
    AgentModel,
    ConnectionModel,
    WaSessionModel,
    NotificationModel,
    CampaignModel,
    CampaignMessageModel,
    MessageLogModel,
    ContactModel,
    OptOutModel,
    ContactTagModel,
    ImportModel,
    OptOutReviewModel,
    BillingAccountModel,
    QuotaReservationModel,
    StripeEventModel,
    ConversationModel,
    ConversationMessageModel,
    QuickReplyModel,
]


def ttl_attribute(model: type[Model]) -> str | None:
    """Name of the model's TTL attribute, if it has one."""
    for name, attribute in model.get_attributes().items():
        if isinstance(attribute, TTLAttribute):
            return name
    return None
