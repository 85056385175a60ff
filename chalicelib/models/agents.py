"""Edge agents and their live WebSocket connections."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class AgentsByToken(GlobalSecondaryIndex["AgentModel"]):
    class Meta:
        index_name = "by_token"
        projection = AllProjection()

    token_hash = UnicodeAttribute(hash_key=True)


class AgentModel(Model):
    class Meta:
        table_name = table_name("agents")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    agent_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    capacity = NumberAttribute(default=10)
    # Sessions placed on it; moved with conditional ADDs so placement never overfills.
    session_count = NumberAttribute(default=0)
    created_at = NumberAttribute()
    connection_id = UnicodeAttribute(null=True)
    connected_at = NumberAttribute(null=True)
    last_heartbeat_at = NumberAttribute(null=True)
    version = UnicodeAttribute(null=True)
    openwa_version = UnicodeAttribute(null=True)  # the engine's, from hello/heartbeat
    metrics = MapAttribute(null=True)  # type: ignore[var-annotated]
    by_token = AgentsByToken()


class ConnectionModel(Model):
    """connection id → agent id, so $disconnect and frames find their agent."""

    class Meta:
        table_name = table_name("connections")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    connection_id = UnicodeAttribute(hash_key=True)
    agent_id = UnicodeAttribute()
    connected_at = NumberAttribute()
    expires_at = TTLAttribute()
