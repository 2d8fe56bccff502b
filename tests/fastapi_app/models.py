"""The pets/orders API's shapes, written the way FastAPI users write them: optional fields, literals,
an enum, a discriminated union, nested models. Fields are strict where Pydantic's lax mode would
take what the document refuses (`"1"` for an integer, `0` for a date), and no stricter (`6.0` is an
integer to JSON Schema)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictStr

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> Any:
    """A date is `YYYY-MM-DD` (`format: date`): Pydantic would also read `0` or `"0"` as a Unix time."""
    if not isinstance(value, (str, date)) or isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, (str, datetime)):
        raise ValueError("must be a string")
    return value


def _number(value: Any) -> Any:
    """An integer in JSON is a number without a fraction (`6.0` too), never a string or a boolean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be an integer")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]
Moment = Annotated[datetime, BeforeValidator(_text)]
Whole = Annotated[int, BeforeValidator(_number)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=40)]


class Species(str, Enum):
    dog = "dog"
    cat = "cat"
    bird = "bird"


class Owner(BaseModel):
    name: Name
    phone: Annotated[StrictStr, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None


class Dog(BaseModel):
    species: Literal["dog"]
    good_boy: StrictBool = True


class Cat(BaseModel):
    species: Literal["cat"]
    indoor: StrictBool


class Bird(BaseModel):
    species: Literal["bird"]
    wingspan_cm: Annotated[StrictFloat, Field(gt=0, le=400)]


Traits = Annotated[Dog | Cat | Bird, Field(discriminator="species")]


class PetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    traits: Traits
    weight_kg: Annotated[StrictFloat, Field(gt=0, le=500)]
    tag: Name | None = None
    born: Day | None = None
    owner: Owner | None = None


class Pet(PetIn):
    id: int
    status: Literal["available", "adopted"] = "available"


class Photo(BaseModel):
    pet_id: int
    filename: str | None
    content_type: str | None
    size: int


class Address(BaseModel):
    street: Name
    city: Name
    postcode: Annotated[StrictStr, Field(pattern=r"^[0-9A-Z -]{3,10}$")]


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pet_id: Whole
    quantity: Annotated[int, Field(ge=1, le=10), BeforeValidator(_number)] = 1
    ship_to: Address
    note: Annotated[StrictStr, Field(max_length=200)] | None = None


class Order(OrderIn):
    id: UUID
    status: Literal["placed", "approved", "delivered"]
    placed_at: Moment
    ship_date: Day | None = None


class Census(BaseModel):
    species: Species
    count: int


class Message(BaseModel):
    detail: str
