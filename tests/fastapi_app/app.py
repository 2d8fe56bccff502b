"""A small pets/orders API in FastAPI, kept in memory: a real OpenAPI 3.1 producer for the contract
run (tests/test_fastapi_producer.py). `uvicorn --factory tests.fastapi_app.app:create_app`; the API
key is PETS_API_KEY's. Every status it can answer is in its document."""

from __future__ import annotations

import os
import secrets
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Path, Query, Request, Security, UploadFile
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader

from tests.fastapi_app.models import Census, Day, Message, Order, OrderIn, Pet, PetIn, Photo, Species
from tests.fastapi_app.store import ORDER, SHIPPING, Store

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": Message, "description": "No such pet or order"}}
BAD_BODY: Responses = {400: {"model": Message, "description": "A body that cannot be parsed"}}
LOCKED: Responses = {401: {"model": Message, "description": "No API key"},
                     403: {"model": Message, "description": "Not the API key"}}  # fmt: skip

api_key = APIKeyHeader(name="X-API-Key", description="The key PETS_API_KEY gives the server")


def store(request: Request) -> Store:
    return request.app.state.store


def authorized(request: Request, key: Annotated[str, Security(api_key)]) -> None:
    if not secrets.compare_digest(key.encode(), request.app.state.key.encode()):
        raise HTTPException(403, "Not the API key")


Memory = Annotated[Store, Depends(store)]
PetId = Annotated[int, Path(ge=1, le=1_000_000, examples=[1])]
pets = APIRouter(prefix="/pets", tags=["pets"])
orders = APIRouter(prefix="/orders", tags=["orders"])
lookups = APIRouter(tags=["lookups"])
locked = [Depends(authorized)]


@pets.get("", summary="List pets")
def list_pets(memory: Memory, species: Species | None = None, tag: Annotated[str | None, Query(max_length=40)] = None,
              limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[Pet]:  # fmt: skip
    chosen = [p for p in memory.pets.values() if (species is None or p.traits.species == species.value)
              and (tag is None or p.tag == tag)]  # fmt: skip
    return chosen[:limit]


@pets.post("", status_code=201, summary="Add a pet", dependencies=locked, responses={**BAD_BODY, **LOCKED})
def add_pet(memory: Memory, pet: PetIn) -> Pet:
    return memory.add_pet(pet)


@pets.get("/{pet_id}", summary="Read a pet", responses=NOT_FOUND)
def read_pet(memory: Memory, pet_id: PetId) -> Pet:
    return _pet(memory, pet_id)


@pets.delete("/{pet_id}", status_code=204, summary="Remove a pet", dependencies=locked,
             responses={**LOCKED, **NOT_FOUND})  # fmt: skip
def remove_pet(memory: Memory, pet_id: Annotated[int, Path(ge=1, le=1_000_000, examples=[4])]) -> None:
    _pet(memory, pet_id)
    del memory.pets[pet_id]


@pets.put("/{pet_id}/adopted/{adopted}", summary="Mark a pet adopted or not", dependencies=locked,
          responses={**LOCKED, **NOT_FOUND})  # fmt: skip
def mark_adopted(memory: Memory, pet_id: PetId, adopted: bool) -> Pet:
    pet = _pet(memory, pet_id)
    pet.status = "adopted" if adopted else "available"
    return pet


@pets.post("/{pet_id}/photo", status_code=201, summary="Upload a pet's photo", dependencies=locked,
           responses={**BAD_BODY, **LOCKED, **NOT_FOUND})  # fmt: skip
async def upload_photo(memory: Memory, pet_id: PetId, photo: UploadFile,
                       caption: Annotated[str | None, Form(max_length=200)] = None) -> Photo:  # fmt: skip
    _pet(memory, pet_id)
    size = len(await photo.read())
    return Photo(pet_id=pet_id, filename=photo.filename, content_type=photo.content_type, size=size)


@orders.post("", status_code=201, summary="Order a pet", dependencies=locked,
              responses={**BAD_BODY, **LOCKED, **NOT_FOUND})  # fmt: skip
def place_order(memory: Memory, order: OrderIn) -> Order:
    _pet(memory, order.pet_id)
    return memory.add_order(order)


@orders.get("/{order_id}", summary="Read an order", responses=NOT_FOUND)
def read_order(memory: Memory, order_id: Annotated[UUID, Path(examples=[str(ORDER)])]) -> Order:
    if order_id not in memory.orders:
        raise HTTPException(404, "No such order")
    return memory.orders[order_id]


@orders.get("/shipping-on/{day}", summary="Orders shipping on a day")
def shipping_on(memory: Memory, day: Annotated[Day, Path(examples=[SHIPPING.isoformat()])]) -> list[Order]:
    return [o for o in memory.orders.values() if o.ship_date == day]


@lookups.get("/species/{species}", summary="How many pets of a species")
def census(memory: Memory, species: Species) -> Census:
    return Census(species=species, count=sum(p.traits.species == species.value for p in memory.pets.values()))


@lookups.get("/owners/{owner_name}/pets", summary="An owner's pets")
def owned(memory: Memory, owner_name: Annotated[str, Path(min_length=1, max_length=40)]) -> list[Pet]:
    return [p for p in memory.pets.values() if p.owner is not None and p.owner.name == owner_name]


@lookups.get("/weights/{kilograms}/pets", summary="Pets weighing at most so much")
def lighter(memory: Memory, kilograms: Annotated[float, Path(gt=0, le=500)]) -> list[Pet]:
    return [p for p in memory.pets.values() if p.weight_kg <= kilograms]


def _pet(memory: Store, pet_id: int) -> Pet:
    if pet_id not in memory.pets:
        raise HTTPException(404, "No such pet")
    return memory.pets[pet_id]


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 with every method the path has in `Allow`: Starlette names only the first route's."""
    allowed = {m for r in request.app.routes if isinstance(r, APIRoute) and r.path_regex.match(request.url.path)
               for m in r.methods or ()}  # fmt: skip
    return JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": ", ".join(sorted(allowed))})


def create_app(key: str | None = None) -> FastAPI:
    """The API over a fresh memory; the key is `key`, else PETS_API_KEY's."""
    app = FastAPI(title="Pets and orders", version="1.0.0")
    app.state.store = Store()
    app.state.key = key or os.environ["PETS_API_KEY"]
    app.add_exception_handler(405, method_not_allowed)
    for router in (pets, orders, lookups):
        app.include_router(router)
    return app
