"""The pydantic base of the models ``import app`` declares (routes, pages, forecasts).

Pydantic builds each model's validator and serializer when the class is created;
``import app`` declares ~200 models and one request uses a few, so every cold start
paid for all of them. These are built on first use instead (``defer_build``): the
first request that validates or dumps a model pays for that model only.
"""

from __future__ import annotations

from pydantic import BaseModel as PydanticBaseModel
from pydantic import ConfigDict


class BaseModel(PydanticBaseModel):
    model_config = ConfigDict(defer_build=True)
