"""Events of the sales context."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from crm_kernel.domain.events import DomainEvent, OptionalPersonalStr, PersonalStr
from pydantic import BaseModel, ConfigDict, Field

# Each bound once, for the request, the command and the event alike (a request's text field
# adds its text check: `Annotated[Line, SKU]`).
MAX_QUANTITY = 1_000_000
MAX_MONEY = Decimal(10**12)
SKU = Field(min_length=1, max_length=64)
Sku = Annotated[str, SKU]
# Strict: `true` is not a quantity (lax validation reads it as 1).
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]
# Money amounts in the currency's unit, in cents at most.
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2, max_digits=15)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# Percent, whole (strict: `true` is no percent): probabilities and scores, as Odoo and
# EspoCRM keep them.
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]


# Amounts in the currency's own minor units (ISO 4217: no decimals for the yen, three for the
# Kuwaiti dinar): four places at most here, the currency's own checked in the domain.
Amount = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=4, max_digits=17)]
# Tax rates and discounts in percent, to the hundredth (5.5 % VAT, a 12.25 % discount).
Rate = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, max_digits=5)]


PRODUCT_NAME = Field(min_length=1, max_length=200)
CATEGORY = Field(min_length=1, max_length=100)
ProductName = Annotated[str, PRODUCT_NAME]
Category = Annotated[str, CATEGORY]


class OrderLine(BaseModel):
    """A line as ordered; its unit price in the currency's minor units (a request may be
    stricter)."""

    model_config = ConfigDict(frozen=True)

    sku: Sku
    quantity: Quantity
    unit_price: Amount


class DiscountKind(StrEnum):
    PERCENT = "percent"  # off the line's gross
    AMOUNT = "amount"  # off each unit's list price


class PricedLine(BaseModel):
    """A quote's line as priced when it was written: what was asked (quantity, list price,
    discount, tax rate) and what it came to, each amount rounded half up to the currency's
    minor unit (tax per line)."""

    model_config = ConfigDict(frozen=True)

    sku: Sku
    name: ProductName
    quantity: Quantity
    list_price: Amount
    discount_kind: DiscountKind | None = None
    discount_value: Amount | None = None  # a percent, or an amount per unit
    tax_rate: Rate
    gross: Amount  # quantity x list price
    discount: Amount
    net: Amount  # gross - discount: what revenue counts
    tax: Amount
    total: Amount  # net + tax


class QuoteTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    subtotal: Amount  # the lines' gross
    discount: Amount
    net: Amount
    tax: Amount
    total: Amount


class OrderPlaced(DomainEvent):
    """A customer placed an order. `total` is its net: the lines' nets after discount,
    excluding tax (what revenue counts); for lines without discount, the sum of quantity x unit
    price. An order from an accepted quote names it and copies its priced lines (`priced`,
    with `tax` their tax); its `lines` then list each line's list price."""

    event_type = "crm.sales.OrderPlaced.v1"

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: Currency
    payment_method: str | None = None
    quote_id: str | None = None
    quote_revision: int | None = None
    priced: tuple[PricedLine, ...] = ()
    tax: Amount | None = None


# --- leads (issue 12) ------------------------------------------------------------------------
# Bounds of a lead's fields, once for the request, the command and the event. Personal fields
# (names, contact details, every free text) carry theirs on the request and the command only:
# on the event they hold ciphertext, which is longer than the text (ADR 23).
LEAD_NAME = Field(min_length=1, max_length=200)
LEAD_EMAIL = Field(min_length=3, max_length=254)
LEAD_PHONE = Field(min_length=3, max_length=40)
PRODUCT_INTEREST = Field(min_length=1, max_length=500)
LEAD_NOTES = Field(min_length=1, max_length=10_000)
DISQUALIFICATION_NOTE = Field(min_length=1, max_length=2_000)
LeadName = Annotated[str, LEAD_NAME]
LeadEmail = Annotated[str, LEAD_EMAIL]
LeadPhone = Annotated[str, LEAD_PHONE]
ProductInterest = Annotated[str, PRODUCT_INTEREST]
LeadNotes = Annotated[str, LEAD_NOTES]
DisqualificationNote = Annotated[str, DISQUALIFICATION_NOTE]
# Who works a lead: a salesperson's handle, as owners are named elsewhere.
LEAD_OWNER = Field(min_length=1, max_length=100)
LeadOwner = Annotated[str, LEAD_OWNER]
# A reason for disqualifying, one of the configured list (CRM_LEAD_DISQUALIFICATION_REASONS).
DISQUALIFICATION_REASON = Field(min_length=1, max_length=100)
DisqualificationReason = Annotated[str, DISQUALIFICATION_REASON]


class LeadChannel(StrEnum):
    """Where a lead came from."""

    WEB_FORM = "web_form"
    EMAIL = "email"
    PHONE = "phone"
    TRADE_FAIR = "trade_fair"
    REFERRAL = "referral"
    PARTNER = "partner"
    CAMPAIGN = "campaign"
    SOCIAL = "social"
    OTHER = "other"


class LeadCaptured(DomainEvent):
    """A possible customer became known to a sales team through a channel. `customer_id` is
    the id the customer will have once the lead converts (a UUID5 of the lead id): its key
    seals the lead's personal data (names, contact details, product interest, notes), and an
    erasure of that id shreds them (ADR 26)."""

    event_type = "crm.sales.LeadCaptured.v1"

    lead_id: str
    customer_id: str
    person_name: OptionalPersonalStr = None
    company_name: OptionalPersonalStr = None
    email: OptionalPersonalStr = None
    phone: OptionalPersonalStr = None
    product_interest: OptionalPersonalStr = None
    estimated_value: Money | None = None
    currency: Currency | None = None
    channel: LeadChannel
    campaign_id: str | None = None
    owner: LeadOwner | None = None
    notes: OptionalPersonalStr = None


class LeadAssigned(DomainEvent):
    """A lead was given to a salesperson to work (again, when it changes hands)."""

    event_type = "crm.sales.LeadAssigned.v1"

    lead_id: str
    customer_id: str
    owner: LeadOwner


class LeadWorkStarted(DomainEvent):
    """The lead's owner began working it (contacting, finding out the need)."""

    event_type = "crm.sales.LeadWorkStarted.v1"

    lead_id: str
    customer_id: str


class LeadQualified(DomainEvent):
    """The lead was found worth pursuing: it may be converted."""

    event_type = "crm.sales.LeadQualified.v1"

    lead_id: str
    customer_id: str


class LeadDisqualified(DomainEvent):
    """The lead was discarded, for a reason from the configured list and an optional note
    (personal data)."""

    event_type = "crm.sales.LeadDisqualified.v1"

    lead_id: str
    customer_id: str
    reason: DisqualificationReason
    note: OptionalPersonalStr = None


class LeadRecycled(DomainEvent):
    """A disqualified lead was taken up again: its owner works it once more."""

    event_type = "crm.sales.LeadRecycled.v1"

    lead_id: str
    customer_id: str


# --- a lead's possible duplicates (issue 12, ADR 28) ----------------------------------------
class LeadDuplicateReason(StrEnum):
    """Why a lead looks like another lead or a customer: a code, never the value that matched
    (it outlives an erasure)."""

    SAME_EMAIL = "same_email"
    SAME_PHONE = "same_phone"


class LeadLookalike(StrEnum):
    """What a lead looks like: another open lead, or an existing customer (contacts')."""

    LEAD = "lead"
    CUSTOMER = "customer"


class LeadPossibleDuplicateFound(DomainEvent):
    """The lead's normalised e-mail or phone is also an open lead's or an existing customer's:
    reported, never refused (ADR 28). `other_id` is that lead's id or that customer's id."""

    event_type = "crm.sales.LeadPossibleDuplicateFound.v1"

    lead_id: str
    customer_id: str
    other: LeadLookalike
    other_id: str
    reason: LeadDuplicateReason


class LeadErased(DomainEvent):
    """Right to be forgotten for a lead that never converted: the key of the customer id it
    would have had is shredded, so its personal data is unreadable everywhere. Who asked and
    why outlive the erasure in the audit trail (a role or ticket, not the person's data)."""

    event_type = "crm.sales.LeadErased.v1"

    lead_id: str
    customer_id: str
    requested_by: str
    reason: str


class LeadConverted(DomainEvent):
    """A qualified lead became business: `customer_id` names the customer it became (new:
    the id its capture gave, `new_customer`) or was linked to (an existing one). A new
    customer's name and contact details come along, sealed under its key, for contacts to
    register it (ADR 29); a company named on the lead becomes the organisation
    `organisation_id` (new or existing) the person is linked to. `opportunity_id`: the
    opportunity opened with the conversion, if one was asked for."""

    event_type = "crm.sales.LeadConverted.v1"

    lead_id: str
    customer_id: str
    new_customer: bool
    prospect_id: str
    organisation_id: str | None = None
    new_organisation: bool = False
    person_name: OptionalPersonalStr = None
    company_name: OptionalPersonalStr = None
    email: OptionalPersonalStr = None
    phone: OptionalPersonalStr = None
    channel: LeadChannel
    campaign_id: str | None = None
    owner: LeadOwner | None = None
    opportunity_id: str | None = None


class LeadScoreOverridden(DomainEvent):
    """A salesperson set the lead's score by hand (0-100; None: back to the computed one).
    It is shown next to the computed score, never instead of it (ADR 31)."""

    event_type = "crm.sales.LeadScoreOverridden.v1"

    lead_id: str
    customer_id: str
    score: Percent | None


# --- opportunities (issue 12) ----------------------------------------------------------------
# A stage of a pipeline and a lost reason: codes from the configured lists, not personal.
STAGE = Field(min_length=1, max_length=60)
StageName = Annotated[str, STAGE]
LOST_REASON = Field(min_length=1, max_length=100)
LostReason = Annotated[str, LOST_REASON]
OPPORTUNITY_NAME = Field(min_length=1, max_length=200)
LOST_NOTE = Field(min_length=1, max_length=2_000)
# A sales team's handle, as owners are named.
TEAM = Field(min_length=1, max_length=100)
Team = Annotated[str, TEAM]
Probability = Percent


class ForecastCategory(StrEnum):
    """Salesforce's forecast categories: what a deal counts as in a forecast."""

    OMITTED = "omitted"
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"


class OpportunityOpened(DomainEvent):
    """A customer may buy: an amount expected to close by a date, at a stage of a pipeline.
    `probability` and `forecast_category` are what price it now: the stage's defaults
    (`stage_probability`, `stage_category`), or the rep's overrides (`probability_override`,
    `category_override`). `name` is free text (personal data, ADR 25)."""

    event_type = "crm.sales.OpportunityOpened.v1"

    opportunity_id: str
    customer_id: str
    name: PersonalStr
    owner: LeadOwner
    team: Team | None = None
    amount: Money
    currency: Currency
    expected_close: date
    products: tuple[Sku, ...] = ()
    pipeline: StageName
    stage: StageName
    stage_probability: Probability
    stage_category: ForecastCategory
    probability: Probability
    probability_override: Probability | None = None
    forecast_category: ForecastCategory
    category_override: bool = False
    learned_pricing: bool = Field(
        default=False,
        description="Its pipeline prices deals by the learned probability, not the stage's",
    )
    source: LeadChannel | None = None
    lead_id: str | None = None
    campaign_id: str | None = None


class AtStage(DomainEvent):
    """A deal at an open stage: the stage's defaults and what prices the deal there."""

    opportunity_id: str
    customer_id: str
    stage: StageName
    stage_probability: Probability
    stage_category: ForecastCategory
    probability: Probability
    forecast_category: ForecastCategory


class OpportunityStageChanged(AtStage):
    """The deal moved to another open stage: the values that price it after the move."""

    event_type = "crm.sales.OpportunityStageChanged.v1"


class OpportunityAmountChanged(DomainEvent):
    """The deal's amount (or its currency) changed: the values after the change."""

    event_type = "crm.sales.OpportunityAmountChanged.v1"

    opportunity_id: str
    customer_id: str
    amount: Money
    currency: Currency


class OpportunityCloseDateChanged(DomainEvent):
    """The expected close moved (a slip when later)."""

    event_type = "crm.sales.OpportunityCloseDateChanged.v1"

    opportunity_id: str
    customer_id: str
    expected_close: date


class OpportunityProbabilityOverridden(DomainEvent):
    """The rep set the probability by hand (`override` None: back to the stage's);
    `probability` is the one that prices the deal after it."""

    event_type = "crm.sales.OpportunityProbabilityOverridden.v1"

    opportunity_id: str
    customer_id: str
    override: Probability | None
    probability: Probability


class OpportunityForecastCategorySet(DomainEvent):
    """The rep put the deal in a forecast category (`overridden` False: back to the stage's)."""

    event_type = "crm.sales.OpportunityForecastCategorySet.v1"

    opportunity_id: str
    customer_id: str
    forecast_category: ForecastCategory
    overridden: bool


class OpportunityReassigned(DomainEvent):
    """Another salesperson (and team) works the deal."""

    event_type = "crm.sales.OpportunityReassigned.v1"

    opportunity_id: str
    customer_id: str
    owner: LeadOwner
    team: Team | None = None


class OpportunityWon(DomainEvent):
    """The customer bought: `amount` is booked revenue, when it happened (occurred time)."""

    event_type = "crm.sales.OpportunityWon.v1"

    opportunity_id: str
    customer_id: str
    amount: Money
    currency: Currency


class OpportunityLost(DomainEvent):
    """The deal was lost, for a reason from the configured list and an optional note
    (personal data)."""

    event_type = "crm.sales.OpportunityLost.v1"

    opportunity_id: str
    customer_id: str
    reason: LostReason
    note: OptionalPersonalStr = None


class OpportunityReopened(AtStage):
    """A won or lost deal is open again, at `stage`, priced as after a stage change."""

    event_type = "crm.sales.OpportunityReopened.v1"


# --- sales teams (issue 12) ------------------------------------------------------------------
class TeamCreated(DomainEvent):
    """A sales team: salespeople who take leads in turn (round-robin, ADR 32)."""

    event_type = "crm.sales.TeamCreated.v1"

    team_id: str
    name: Team


class TeamMemberAdded(DomainEvent):
    """A salesperson joined the team, taking at most `cap` open leads at a time."""

    event_type = "crm.sales.TeamMemberAdded.v1"

    team_id: str
    member: LeadOwner
    cap: Annotated[int, Field(ge=1, le=10_000)]


class TeamMemberChanged(DomainEvent):
    """A member's cap, or whether they take new leads now (away: not), after the change."""

    event_type = "crm.sales.TeamMemberChanged.v1"

    team_id: str
    member: LeadOwner
    cap: Annotated[int, Field(ge=1, le=10_000)]
    available: bool


class TeamMemberRemoved(DomainEvent):
    """A salesperson left the team; the leads they own stay theirs."""

    event_type = "crm.sales.TeamMemberRemoved.v1"

    team_id: str
    member: LeadOwner


class TeamLeadRouted(DomainEvent):
    """Round-robin gave the lead to this member (the lead's own stream records the
    assignment)."""

    event_type = "crm.sales.TeamLeadRouted.v1"

    team_id: str
    lead_id: str
    member: LeadOwner


# --- products and quotes (issue 13) -------------------------------------------------------------
# A list price per currency: {"EUR": "12.50", "JPY": "1800"}.
Prices = Annotated[dict[Currency, Amount], Field(min_length=1, max_length=50)]


class ProductAdded(DomainEvent):
    """A product entered the catalogue (active)."""

    event_type = "crm.sales.ProductAdded.v1"

    sku: Sku
    name: ProductName
    category: Category
    prices: Prices
    tax_rate: Rate


class ProductChanged(DomainEvent):
    """The product's name, category, prices or tax rate after the change (all of them)."""

    event_type = "crm.sales.ProductChanged.v1"

    sku: Sku
    name: ProductName
    category: Category
    prices: Prices
    tax_rate: Rate


class ProductDeactivated(DomainEvent):
    """The product is no longer offered: new quotes and orders cannot take it."""

    event_type = "crm.sales.ProductDeactivated.v1"

    sku: Sku


class ProductReactivated(DomainEvent):
    """The product is offered again."""

    event_type = "crm.sales.ProductReactivated.v1"

    sku: Sku


QUOTE_TITLE = Field(min_length=1, max_length=200)
REJECTION_REASON = Field(min_length=1, max_length=100)
RejectionReason = Annotated[str, REJECTION_REASON]
# Days a sent quote stays open (Odoo's quotation_validity_days; 0: never expires).
ValidityDays = Annotated[int, Field(ge=0, le=3_650, strict=True)]


class QuoteDrafted(DomainEvent):
    """Revision `revision` of the quote, as a draft (revision 1 opens the quote; a change to a
    sent revision drafts the next)."""

    event_type = "crm.sales.QuoteDrafted.v1"

    quote_id: str
    customer_id: str
    revision: Annotated[int, Field(ge=1, le=1_000)]
    opportunity_id: str | None = None
    title: PersonalStr  # free text: it may name a person (bounds: QUOTE_TITLE, on the request)
    currency: Currency
    lines: Annotated[tuple[PricedLine, ...], Field(min_length=1, max_length=200)]
    totals: QuoteTotals
    validity_days: ValidityDays


class QuoteSent(DomainEvent):
    """The revision went to the customer and is immutable from now on; open until
    `valid_until` (inclusive; None: never expires)."""

    event_type = "crm.sales.QuoteSent.v1"

    quote_id: str
    customer_id: str
    revision: int
    sent_on: date
    valid_until: date | None


class QuoteAccepted(DomainEvent):
    """The customer accepted the latest sent revision; `order_id` is the order it places,
    with a copy of the revision's lines (`lines`, `totals`)."""

    event_type = "crm.sales.QuoteAccepted.v1"

    quote_id: str
    customer_id: str
    revision: int
    order_id: str
    opportunity_id: str | None = None
    currency: Currency
    lines: tuple[PricedLine, ...]
    totals: QuoteTotals


class QuoteRejected(DomainEvent):
    """The customer turned the quote down, with a reason from the configured list."""

    event_type = "crm.sales.QuoteRejected.v1"

    quote_id: str
    customer_id: str
    revision: int
    reason: RejectionReason
    note: OptionalPersonalStr = None


# --- the order's lifecycle (issue 13) -----------------------------------------------------------
# A reason from a configured list (CRM_ORDER_CANCELLATION_REASONS, CRM_RETURN_REASONS): a code,
# never the customer's words.
ORDER_REASON = Field(min_length=1, max_length=100)
OrderReason = Annotated[str, ORDER_REASON]
LineNumber = Annotated[int, Field(ge=0, le=499, strict=True)]  # the line's place in the order


class LineQuantity(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: LineNumber
    sku: Sku
    quantity: Quantity


class OrderFulfilled(DomainEvent):
    """These quantities of the order's lines were delivered; `complete` once every line is."""

    event_type = "crm.sales.OrderFulfilled.v1"

    order_id: str
    customer_id: str
    lines: Annotated[tuple[LineQuantity, ...], Field(min_length=1, max_length=500)]
    complete: bool


class OrderCancelled(DomainEvent):
    """The order was cancelled before anything of it was delivered; its net no longer counts."""

    event_type = "crm.sales.OrderCancelled.v1"

    order_id: str
    customer_id: str
    reason: OrderReason
    total: Decimal
    currency: Currency


class OrderLineReturned(DomainEvent):
    """The customer returned `quantity` of a delivered line; `net` is their share of the
    line's net, which no longer counts as revenue. One per return line (`return_id`)."""

    event_type = "crm.sales.OrderLineReturned.v1"

    order_id: str
    customer_id: str
    return_id: str
    line: LineNumber
    sku: Sku
    quantity: Quantity
    net: Amount
    currency: Currency
    reason: OrderReason


# --- invoices (issue 13) ------------------------------------------------------------------------
SERIES = Field(min_length=1, max_length=10, pattern=r"^[A-Z0-9]+$")
Series = Annotated[str, SERIES]
TermDays = Annotated[int, Field(ge=0, le=3_650, strict=True)]


class PaymentTermsKind(StrEnum):
    IMMEDIATE = "immediate"
    NET = "net"  # N days after the issue day
    END_OF_MONTH = "end_of_month"  # N days after the issue month's last day
    INSTALMENTS = "instalments"  # percents and days that sum to 100 %


class DueInstalment(BaseModel):
    model_config = ConfigDict(frozen=True)

    due_on: date
    amount: Amount


class Billed(DomainEvent):
    """An invoice's amounts (net, tax, their total) and the instalments they fall due in."""

    invoice_id: str
    customer_id: str
    order_id: str
    reference: Annotated[str, Field(max_length=30)]
    issued_on: date
    currency: Currency
    net: Amount
    tax: Amount
    total: Amount
    instalments: Annotated[tuple[DueInstalment, ...], Field(min_length=1, max_length=24)]


class InvoiceIssued(Billed):
    """An invoice for an order, numbered without gaps within its series and year (`number`,
    shown as `<series><year>-<number, 6 digits>` in `reference`), with the instalments its
    payment terms make, in due-date order."""

    event_type = "crm.sales.InvoiceIssued.v1"

    series: Series
    year: Annotated[int, Field(ge=2000, le=9999)]
    number: Annotated[int, Field(ge=1)]
    terms: PaymentTermsKind
    terms_days: TermDays = 0


class OrderInvoiced(DomainEvent):
    """These quantities of the order's lines are billed by `invoice_id`, for `net` and `tax`
    (each line's share, the last invoice of a line taking what rounding left). No `lines`: the
    whole order (as recorded before invoices could bill part of one)."""

    event_type = "crm.sales.OrderInvoiced.v1"

    order_id: str
    customer_id: str
    invoice_id: str
    lines: Annotated[tuple[LineQuantity, ...], Field(max_length=500)] = ()
    net: Amount | None = None
    tax: Amount | None = None


# --- the customer's account: receivables, payments, credit (issue 13) -------------------------
InstalmentNumber = Annotated[int, Field(ge=0, le=23, strict=True)]  # its place, in due order


class Allocation(BaseModel):
    """An amount of an invoice's instalment: paid by a payment or by the customer's credit,
    or taken off it by a credit note."""

    model_config = ConfigDict(frozen=True)

    invoice_id: str
    instalment: InstalmentNumber
    amount: Amount


Allocations = Annotated[tuple[Allocation, ...], Field(max_length=2_400)]


class InvoicePosted(Billed):
    """The invoice is owed on the customer's account: its instalments fall due on their days.
    The account's copy of what the series issued (ADR 40)."""

    event_type = "crm.sales.InvoicePosted.v1"


class PaymentMethodKind(StrEnum):
    """How a customer pays, as the seeds list the ways."""

    CARD = "card"
    PAYPAL = "paypal"
    CASH = "cash"
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    OTHER = "other"


class PaymentReceived(DomainEvent):
    """The customer paid `amount` on `received_on`: `allocations` settle instalments in
    due-date order (the invoices named first), never above what is open; `credited` is the
    surplus, kept as the customer's credit for later invoices."""

    event_type = "crm.sales.PaymentReceived.v1"

    payment_id: str
    customer_id: str
    currency: Currency
    amount: Amount
    method: PaymentMethodKind
    received_on: date
    allocations: Allocations
    credited: Amount


class CreditApplied(DomainEvent):
    """The customer's credit in the invoice's currency paid (part of) a newly posted invoice."""

    event_type = "crm.sales.CreditApplied.v1"

    invoice_id: str
    customer_id: str
    currency: Currency
    applied_on: date
    allocations: Allocations


class CreditNoteIssued(DomainEvent):
    """All or part of an invoice reversed: `net` and its share of the invoice's tax no longer
    owed. `reductions` take it off the instalments from the last; what was paid of the part
    reversed (`released`, `credited` its sum) becomes the customer's credit. One tied to a
    return (`return_id`) reverses what the return took off revenue already."""

    event_type = "crm.sales.CreditNoteIssued.v1"

    credit_note_id: str
    invoice_id: str
    customer_id: str
    currency: Currency
    issued_on: date
    net: Amount
    tax: Amount
    total: Amount
    reason: OrderReason
    return_id: str | None = None
    reductions: Allocations
    released: Allocations
    credited: Amount


class RefundPaid(DomainEvent):
    """Money paid back to the customer out of their credit (a refund's credit note made it)."""

    event_type = "crm.sales.RefundPaid.v1"

    refund_id: str
    customer_id: str
    currency: Currency
    amount: Amount
    method: PaymentMethodKind
    paid_on: date
    invoice_id: str | None = None


# --- the customer's credit limit (issue 13) ---------------------------------------------------
# An order's amount with tax: at most 500 lines of a million units at the most a unit may
# cost, taxed at up to 100 %: more than any one amount of money elsewhere.
OrderAmount = Annotated[Decimal, Field(ge=0, le=MAX_QUANTITY * MAX_MONEY * 500 * 2)]


class CreditLimitSet(DomainEvent):
    """Open receivables plus unbilled orders may reach `limit` in `currency` (None: no limit)."""

    event_type = "crm.sales.CreditLimitSet.v1"

    customer_id: str
    currency: Currency
    limit: Amount | None


class OrderBooked(DomainEvent):
    """An order counted against the customer's credit until it is invoiced or cancelled:
    `amount` (with tax, as its invoice will be) brought what they owe and are to be billed to
    `exposure`. Above the `limit` only with an override, recorded with who gave it."""

    event_type = "crm.sales.OrderBooked.v1"

    customer_id: str
    order_id: str
    currency: Currency
    amount: OrderAmount
    exposure: OrderAmount
    limit: Amount | None = None
    override_by: str | None = None


class OrderReleased(DomainEvent):
    """A cancelled order no longer counts against the customer's credit."""

    event_type = "crm.sales.OrderReleased.v1"

    customer_id: str
    order_id: str
    currency: Currency
    amount: OrderAmount


# --- payment reminders (issue 13) ---------------------------------------------------------------
class ReminderLevel(StrEnum):
    FIRST = "first"
    SECOND = "second"
    FINAL = "final"


class PaymentReminderSent(DomainEvent):
    """An overdue instalment's reminder came, on `reminded_on` (its deadline, also the event's
    occurred time): CRM_PAYMENT_REMINDER_DAYS are the days past due of the first, the second
    and the final one."""

    event_type = "crm.sales.PaymentReminderSent.v1"

    customer_id: str
    invoice_id: str
    reference: Annotated[str, Field(max_length=30)]
    instalment: InstalmentNumber
    level: ReminderLevel
    due_on: date
    open: Amount
    days_past_due: Annotated[int, Field(ge=1)]
    reminded_on: date
