"""Every read model of the projections service, in one database (live or a rebuild)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_projections.adapters.activity_feed import MongoActivityFeed
from crm_projections.adapters.customer_search import MongoCustomerSearch
from crm_projections.adapters.databases import DatabaseSource
from crm_projections.adapters.read_store import MongoReadStore, MongoRedirects
from crm_projections.adapters.timeline_store import TimelineStore

COLLECTIONS = (
    "customer_360",
    "customer_redirects",
    "activities",
    "opportunities",
    "leads",
    "quotes",
    "receivables",
    "service_levels",
    "campaign_results",
    "timeline",
)


@dataclass(frozen=True)
class ReadModels:
    customers: MongoReadStore
    redirects: MongoRedirects
    activities: MongoReadStore
    opportunities: MongoReadStore
    leads: MongoReadStore
    quotes: MongoReadStore
    receivables: MongoReadStore
    service_levels: MongoReadStore
    campaign_results: MongoReadStore
    timeline: TimelineStore
    customer_search: MongoCustomerSearch
    activity_feed: MongoActivityFeed

    @classmethod
    def on(cls, source: DatabaseSource) -> ReadModels:
        customers = MongoReadStore(source, "customer_360")
        activities = MongoReadStore(source, "activities")
        return cls(
            customers=customers,
            redirects=MongoRedirects(source, "customer_redirects"),
            activities=activities,
            opportunities=MongoReadStore(source, "opportunities"),
            leads=MongoReadStore(source, "leads"),
            quotes=MongoReadStore(source, "quotes"),
            receivables=MongoReadStore(source, "receivables"),
            service_levels=MongoReadStore(source, "service_levels"),
            campaign_results=MongoReadStore(source, "campaign_results"),
            timeline=TimelineStore(source, "timeline"),
            customer_search=MongoCustomerSearch(customers),
            activity_feed=MongoActivityFeed(activities),
        )
