"""SQLite's `Connection`: a sqlite-utils database whose methods are this driver's queries."""

import sqlite_utils

from kataven_hub.storage.sqlite import campaigns, dispatch, keys, remembered


class Connection(sqlite_utils.Database):
    """An open connection to one database file, for the block of a `Database.read()` or
    `.write()` (inside `write`, one transaction), with every query of `storage.base.Connection`
    as a method: each is the function of the same name in this package, the connection first."""

    insert_campaign = campaigns.insert_campaign
    get_campaign = campaigns.get_campaign
    list_campaigns = campaigns.list_campaigns
    campaigns_in = campaigns.campaigns_in
    update_campaign = campaigns.update_campaign
    delete_campaign = campaigns.delete_campaign
    delete_everything = campaigns.delete_everything
    skip_pending = campaigns.skip_pending
    contacts_page = campaigns.contacts_page
    status_counts = campaigns.status_counts
    attempts_made = campaigns.attempts_made
    get_limits = campaigns.get_limits
    put_limits = campaigns.put_limits
    find_idempotency_key = campaigns.find_idempotency_key
    claim_idempotency_key = campaigns.claim_idempotency_key

    has_work = dispatch.has_work
    calls_in_flight = dispatch.calls_in_flight
    start_calls = dispatch.start_calls
    finish_calls = dispatch.finish_calls
    settle_contacts = dispatch.settle_contacts
    live_campaigns = dispatch.live_campaigns
    due_contacts = dispatch.due_contacts
    usage_since = dispatch.usage_since
    has_unsettled = dispatch.has_unsettled
    clock_ahead = dispatch.clock_ahead
    set_clock_ahead = dispatch.set_clock_ahead
    next_due = dispatch.next_due
    waiting = dispatch.waiting
    first_started_since = dispatch.first_started_since

    next_number = remembered.next_number
    put_resource = remembered.put_resource
    get_resource = remembered.get_resource
    list_resources = remembered.list_resources
    delete_resource = remembered.delete_resource
    resource_collections = remembered.resource_collections

    insert_key = keys.insert_key
    find_key = keys.find_key
    list_keys = keys.list_keys
    revoke_key = keys.revoke_key
