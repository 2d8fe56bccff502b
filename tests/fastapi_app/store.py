"""The pets/orders API's memory: a few pets and an order to start from, ids handed out in turn."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from uuid import UUID, uuid4

from tests.fastapi_app.models import Address, Bird, Cat, Dog, Order, OrderIn, Pet, PetIn

ORDER = UUID("5b0e6c1a-3d2f-4e8b-9a7c-1f2e3d4c5b6a")
"""The order there is from the start (its id is the example of the order read)."""
SHIPPING = date(2030, 1, 15)


class Store:
    """Pets by id and orders by id, as the process keeps them until it stops."""

    def __init__(self) -> None:
        self.pets: dict[int, Pet] = {}
        self.orders: dict[UUID, Order] = {}
        self._ids = itertools.count(1)
        for pet in [
            PetIn(name="Rex", traits=Dog(species="dog"), weight_kg=31.5, tag="good"),
            PetIn(name="Tom", traits=Cat(species="cat", indoor=True), weight_kg=4.2),
            PetIn(name="Tweety", traits=Bird(species="bird", wingspan_cm=20.0), weight_kg=0.1),
            PetIn(name="Spare", traits=Dog(species="dog", good_boy=False), weight_kg=12.0),
        ]:
            self.add_pet(pet)
        order = OrderIn(pet_id=1, ship_to=Address(street="1 Main St", city="Springfield", postcode="12345"))
        self.orders[ORDER] = self._order(ORDER, order, ship_date=SHIPPING)

    def add_pet(self, pet: PetIn) -> Pet:
        created = Pet(id=next(self._ids), **pet.model_dump())
        self.pets[created.id] = created
        return created

    def add_order(self, order: OrderIn) -> Order:
        created = self._order(uuid4(), order, ship_date=None)
        self.orders[created.id] = created
        return created

    @staticmethod
    def _order(order_id: UUID, order: OrderIn, ship_date: date | None) -> Order:
        placed = datetime.now(timezone.utc)
        return Order(id=order_id, status="placed", placed_at=placed, ship_date=ship_date, **order.model_dump())
