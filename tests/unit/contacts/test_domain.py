"""Given/when/then for every contacts command, refusals included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crm_contacts.domain import activity as a
from crm_contacts.domain import customer as c
from crm_contacts.domain import interaction as i
from crm_contacts.domain.contact_points import normalise
from crm_contacts_contracts import events as ev
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import as_current
from pydantic import ValidationError

from tests.unit.contacts.builders import CID, T0, given, point, registered, when

# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        (ev.ContactPointKind.EMAIL, " Ana.Garcia@Example.COM ", "ana.garcia@example.com"),
        (ev.ContactPointKind.MOBILE, "+34 612-34-56-78", "+34612345678"),
        (ev.ContactPointKind.WHATSAPP, "+44 20 7946 0958", "+442079460958"),
        (ev.ContactPointKind.WEBSITE, "Example.com/shop/", "https://example.com/shop"),
        (
            ev.ContactPointKind.LINKEDIN,
            "https://www.LinkedIn.com/in/ana",
            "https://www.linkedin.com/in/ana",
        ),
        (
            ev.ContactPointKind.POSTAL,
            " Calle Mayor 1,\n 28013 Madrid ",
            "Calle Mayor 1, 28013 Madrid",
        ),
    ],
)
def test_contact_points_are_normalised(kind, raw, normal) -> None:
    assert normalise(kind, raw) == normal


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (ev.ContactPointKind.EMAIL, "ana@", "not a valid e-mail"),
        (ev.ContactPointKind.MOBILE, "612345678", "international format"),
        (ev.ContactPointKind.LANDLINE, "+34 1", "not a valid phone"),
        (ev.ContactPointKind.WEBSITE, "not a url", "web address"),
    ],
)
def test_invalid_contact_points_are_refused_with_a_clear_message(kind, raw, message) -> None:
    history = given(registered())
    with pytest.raises(DomainError, match=message) as refused:
        when(history, point(kind, raw))
    assert refused.value.field == "value"


# --- registration and contact points --------------------------------------------------------


def test_registration_records_phone_as_mobile_or_landline() -> None:
    events = given(registered(phone="+34 612 345 678"))
    [added] = [e for e in events if isinstance(e, ev.ContactPointAdded)]
    assert (added.kind, added.value) == (ev.ContactPointKind.MOBILE, "+34612345678")
    events = given(registered(phone="+34 915 555 012"))
    [added] = [e for e in events if isinstance(e, ev.ContactPointAdded)]
    assert added.kind == ev.ContactPointKind.LANDLINE


def test_the_first_point_of_a_kind_becomes_primary_and_a_same_value_is_refused() -> None:
    history = given(registered(email="ana@example.com"))
    events = when(history, point(ev.ContactPointKind.MOBILE, "+34612345678"))
    assert [type(e) for e in events] == [ev.ContactPointAdded, ev.PrimaryContactPointSet]
    with pytest.raises(ConflictError, match="already has the email"):
        when(history, point(ev.ContactPointKind.EMAIL, "ANA@example.com"))


def test_a_point_is_verified_made_primary_and_removed() -> None:
    history = given(
        registered(email="ana@example.com"),
        point(ev.ContactPointKind.EMAIL, "ana@work.example", pid="work"),
    )
    assert when(history, c.VerifyContactPoint(customer_id=CID, point_id="work")) == [
        ev.ContactPointVerified(customer_id=CID, point_id="work")
    ]
    assert when(history, c.SetPrimaryContactPoint(customer_id=CID, point_id="work")) == [
        ev.PrimaryContactPointSet(customer_id=CID, point_id="work", kind=ev.ContactPointKind.EMAIL)
    ]
    assert (
        when(history, c.SetPrimaryContactPoint(customer_id=CID, point_id="registration-email"))
        == []
    )
    assert when(history, c.RemoveContactPoint(customer_id=CID, point_id="work")) == [
        ev.ContactPointRemoved(customer_id=CID, point_id="work")
    ]
    with pytest.raises(NotFoundError, match="no contact point nope"):
        when(history, c.VerifyContactPoint(customer_id=CID, point_id="nope"))


def test_commands_on_an_unknown_customer_are_refused() -> None:
    with pytest.raises(NotFoundError, match="unknown customer c1"):
        when([], c.AddTag(customer_id=CID, tag="vip"))


def test_a_blank_name_is_refused() -> None:
    with pytest.raises(DomainError, match="blank"):
        when(
            [],
            c.RegisterCustomer(
                customer_id=CID,
                kind=ev.PartyKind.PERSON,
                customer_type=ev.CustomerType.CONSUMER,
                name="   ",
            ),
        )


# --- profile ---------------------------------------------------------------------------------


def test_profile_facts_are_recorded() -> None:
    history = given(registered())
    assert when(
        history,
        c.RecordPersonalDate(customer_id=CID, kind=ev.PersonalDateKind.BIRTHDAY, date="--03-14"),
    ) == [
        ev.PersonalDateRecorded(customer_id=CID, kind=ev.PersonalDateKind.BIRTHDAY, date="--03-14")
    ]
    with pytest.raises(DomainError, match="YYYY-MM-DD"):
        when(
            history,
            c.RecordPersonalDate(customer_id=CID, kind=ev.PersonalDateKind.BIRTHDAY, date="14/03"),
        )
    assert len(when(history, c.RecordFamilyNote(customer_id=CID, note="two kids"))) == 1
    assert (
        len(
            when(
                history, c.AddInterest(customer_id=CID, kind=ev.InterestKind.HOBBY, value="sailing")
            )
        )
        == 1
    )
    assert len(when(history, c.AssignOwner(customer_id=CID, owner="marta"))) == 1
    assert (
        len(
            when(
                history,
                c.RecordAcquisitionChannel(
                    customer_id=CID, channel=ev.AcquisitionChannel.REFERRAL, detail="by Jordi"
                ),
            )
        )
        == 1
    )
    assert len(when(history, c.RenameCustomer(customer_id=CID, name="Ana G."))) == 1


def test_tags_are_added_and_removed_once() -> None:
    history = given(registered(), c.AddTag(customer_id=CID, tag="vip"))
    assert when(history, c.AddTag(customer_id=CID, tag="vip")) == []
    assert when(history, c.RemoveTag(customer_id=CID, tag="vip")) == [
        ev.TagRemoved(customer_id=CID, tag="vip")
    ]
    assert when(history, c.RemoveTag(customer_id=CID, tag="other")) == []


ORG = c.OrganisationFacts(registered=True, is_organisation=True, erased_or_merged=False)


def test_a_person_is_linked_to_an_organisation_and_the_link_can_end() -> None:
    history = given(registered())
    link = c.LinkToOrganisation(
        customer_id=CID, organisation_id="o1", role="buyer", organisation=ORG
    )
    history += when(history, link)
    assert history[-1] == ev.LinkedToOrganisation(
        customer_id=CID, organisation_id="o1", role="buyer"
    )
    assert when(history, c.EndLinkToOrganisation(customer_id=CID, organisation_id="o1")) == [
        ev.LinkToOrganisationEnded(customer_id=CID, organisation_id="o1")
    ]
    with pytest.raises(NotFoundError, match="not linked"):
        when(history, c.EndLinkToOrganisation(customer_id=CID, organisation_id="o2"))


@pytest.mark.parametrize(
    ("facts", "org", "error", "message"),
    [
        (ORG, CID, DomainError, "itself"),
        (
            c.OrganisationFacts(registered=False, is_organisation=False, erased_or_merged=False),
            "o1",
            NotFoundError,
            "unknown organisation",
        ),
        (
            c.OrganisationFacts(registered=True, is_organisation=False, erased_or_merged=False),
            "o1",
            DomainError,
            "not an organisation",
        ),
    ],
)
def test_bad_organisation_links_are_refused(facts, org, error, message) -> None:
    with pytest.raises(error, match=message):
        when(
            given(registered()),
            c.LinkToOrganisation(
                customer_id=CID, organisation_id=org, role="buyer", organisation=facts
            ),
        )


def test_only_persons_are_linked() -> None:
    with pytest.raises(DomainError, match="only persons"):
        when(
            given(registered(kind=ev.PartyKind.ORGANISATION)),
            c.LinkToOrganisation(customer_id=CID, organisation_id="o1", role="x", organisation=ORG),
        )


# --- lifecycle and consent --------------------------------------------------------------------


def test_lifecycle_moves_and_reactivation() -> None:
    history = given(
        registered(),
        c.ChangeLifecycle(customer_id=CID, lifecycle=ev.Lifecycle.ACTIVE),
        c.ChangeLifecycle(customer_id=CID, lifecycle=ev.Lifecycle.INACTIVE),
    )
    [back] = when(
        history,
        c.ChangeLifecycle(customer_id=CID, lifecycle=ev.Lifecycle.ACTIVE, reason="ordered again"),
    )
    assert (back.previous, back.lifecycle) == (ev.Lifecycle.INACTIVE, ev.Lifecycle.ACTIVE)
    with pytest.raises(DomainError, match="a prospect customer cannot become inactive"):
        when(
            given(registered()), c.ChangeLifecycle(customer_id=CID, lifecycle=ev.Lifecycle.INACTIVE)
        )


def consent(give: bool, channel=ev.ConsentChannel.SMS, purpose=ev.ConsentPurpose.MARKETING):
    kind = c.GiveConsent if give else c.WithdrawConsent
    return kind(customer_id=CID, channel=channel, purpose=purpose, source="web-form", at=T0)


def test_consent_is_given_and_withdrawn_per_channel_and_purpose() -> None:
    history = given(registered())
    state = c.customer_decider.fold(history)
    assert not c.may_contact(state, ev.ConsentChannel.SMS, ev.ConsentPurpose.MARKETING)
    assert c.may_contact(state, ev.ConsentChannel.SMS, ev.ConsentPurpose.SERVICE)
    history += when(history, consent(True))
    assert c.may_contact(
        c.customer_decider.fold(history), ev.ConsentChannel.SMS, ev.ConsentPurpose.MARKETING
    )
    assert when(history, consent(True)) == []
    history += when(history, consent(False))
    assert not c.may_contact(
        c.customer_decider.fold(history), ev.ConsentChannel.SMS, ev.ConsentPurpose.MARKETING
    )


def test_a_preferred_channel_the_customer_opted_out_of_is_refused() -> None:
    history = given(
        registered(), consent(False, ev.ConsentChannel.PHONE, ev.ConsentPurpose.SERVICE)
    )
    with pytest.raises(DomainError, match="opted out"):
        when(history, c.SetPreferredChannel(customer_id=CID, channel=ev.ConsentChannel.PHONE))
    assert (
        len(when(history, c.SetPreferredChannel(customer_id=CID, channel=ev.ConsentChannel.EMAIL)))
        == 1
    )


# --- duplicates, merge, erasure ----------------------------------------------------------------


def test_possible_duplicates_are_recorded_once() -> None:
    history = given(registered())
    record = c.RecordPossibleDuplicates(
        customer_id=CID, found=(("c2", ev.DuplicateReason.SAME_EMAIL),)
    )
    history += when(history, record)
    assert history[-1].model_dump()["reason"] == "same_email"
    assert when(history, record) == []


@pytest.mark.parametrize(
    ("stored", "code"),
    [
        ("same email ana.garcia@example.com", "same_email"),
        ("same phone +34612345678", "same_phone"),
        ("similar name within organisation o1", "similar_name_in_organisation"),
        ("same_email", "same_email"),
        ("Ana García looks alike", "other"),
    ],
)
def test_a_duplicate_reason_is_a_code_and_early_free_text_reads_as_one(stored, code) -> None:
    # Early events named the matching e-mail or phone: on Kafka for good, and in the store.
    data = {"customer_id": CID, "other_customer_id": "c2", "reason": stored}
    event = ev.PossibleDuplicateFound.model_validate(data)
    assert event.model_dump(mode="json")["reason"] == code
    assert as_current(ev.PossibleDuplicateFound.event_type, data) == {**data, "reason": code}


def test_no_duplicate_reason_can_carry_a_value() -> None:
    with pytest.raises(ValidationError):
        c.RecordPossibleDuplicates(customer_id=CID, found=(("c2", "same email a@b.es"),))


def merge(into: str = "c2", registered: bool = True, gone: bool = False) -> c.MergeInto:
    return c.MergeInto(
        customer_id=CID, survivor_id=into, survivor_registered=registered, survivor_gone=gone
    )


def test_a_customer_is_merged_and_then_redirects_commands() -> None:
    history = given(registered())
    history += when(history, merge())
    assert history[-1] == ev.CustomerMerged(customer_id=CID, survivor_id="c2")
    with pytest.raises(GoneError, match="merged into c2"):
        when(history, c.AddTag(customer_id=CID, tag="vip"))


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (merge(into=CID), DomainError, "into itself"),
        (merge(registered=False), NotFoundError, "unknown customer c2"),
        (merge(gone=True), GoneError, "erased or merged"),
    ],
)
def test_bad_merges_are_refused(command, error, message) -> None:
    with pytest.raises(error, match=message):
        when(given(registered()), command)


def test_an_erased_customer_refuses_every_command() -> None:
    history = given(
        registered(), c.EraseCustomer(customer_id=CID, requested_by="the customer", reason="GDPR")
    )
    assert isinstance(history[-1], ev.CustomerErased)
    for command in (
        c.AddTag(customer_id=CID, tag="x"),
        c.EraseCustomer(customer_id=CID, requested_by="x", reason="again"),
        merge(),
    ):
        with pytest.raises(GoneError, match="erased"):
            when(history, command)


def test_a_survivor_knows_who_was_merged_into_it() -> None:
    history = given(registered())
    history += when(history, c.Absorb(customer_id=CID, merged_id="c2"))
    history += when(history, c.Absorb(customer_id=CID, merged_id="c3"))
    assert c.customer_decider.fold(history).absorbed == {"c2", "c3"}


def test_a_merged_customer_is_erased_only_with_its_survivor() -> None:
    history = given(registered())
    history += when(history, merge())
    alone = c.EraseCustomer(customer_id=CID, requested_by="dpo", reason="GDPR")
    with pytest.raises(GoneError, match="merged into c2"):
        when(history, alone)
    with_survivor = alone.model_copy(update={"survivor_id": "c2"})
    history += when(history, with_survivor)
    assert history[-1] == ev.CustomerErased(
        customer_id=CID, requested_by="dpo", reason="GDPR", survivor_id="c2"
    )
    assert c.customer_decider.fold(history).erased
    with pytest.raises(GoneError, match="was erased"):
        when(history, with_survivor)


# --- interactions --------------------------------------------------------------------------


FACTS = i.CustomerFacts(registered=True, erased=False, may_contact=True)


def log(**changes) -> i.LogInteraction:
    fields = {
        "interaction_id": "i1",
        "customer_id": CID,
        "channel": ev.InteractionChannel.SMS,
        "direction": ev.Direction.OUTBOUND,
        "occurred_at": T0,
        "customer": FACTS,
        **changes,
    }
    return i.LogInteraction(**fields)


def test_an_interaction_is_logged_once() -> None:
    [logged] = i.decide(i.Interaction(), log())
    assert isinstance(logged, ev.InteractionLogged)
    assert i.decide(i.evolve(i.Interaction(), logged), log()) == []


def test_contacting_an_opted_out_channel_is_refused_but_inbound_is_not() -> None:
    opted_out = i.CustomerFacts(registered=True, erased=False, may_contact=False)
    with pytest.raises(DomainError, match="does not allow"):
        i.decide(i.Interaction(), log(customer=opted_out))
    assert (
        len(i.decide(i.Interaction(), log(customer=opted_out, direction=ev.Direction.INBOUND))) == 1
    )


@pytest.mark.parametrize(
    ("facts", "error"),
    [
        (i.CustomerFacts(registered=False, erased=False, may_contact=True), NotFoundError),
        (i.CustomerFacts(registered=True, erased=True, may_contact=True), GoneError),
    ],
)
def test_interactions_need_a_known_live_customer(facts, error) -> None:
    with pytest.raises(error):
        i.decide(i.Interaction(), log(customer=facts))


def test_answering_measures_from_the_interaction() -> None:
    state = i.evolve(i.Interaction(), i.decide(i.Interaction(), log())[0])
    later = T0 + timedelta(minutes=30)
    [answered] = i.decide(state, i.AnswerInteraction(interaction_id="i1", answered_at=later))
    assert answered.interaction_occurred_at == T0
    with pytest.raises(DomainError, match="before"):
        i.decide(state, i.AnswerInteraction(interaction_id="i1", answered_at=T0 - timedelta(1)))
    with pytest.raises(NotFoundError):
        i.decide(i.Interaction(), i.AnswerInteraction(interaction_id="i9", answered_at=later))


def test_a_sender_id_always_maps_to_the_same_interaction() -> None:
    assert i.interaction_id_for("callcentre", "42") == i.interaction_id_for("callcentre", "42")
    assert i.interaction_id_for("callcentre", "42") != i.interaction_id_for("mailer", "42")


# --- activities ----------------------------------------------------------------------------


def schedule(**changes) -> a.ScheduleActivity:
    fields = {
        "activity_id": "a1",
        "customer_id": CID,
        "owner": "marta",
        "kind": ev.ActivityKind.CALL,
        "title": "Renewal call",
        "starts_at": T0,
        "ends_at": T0 + timedelta(minutes=30),
        "customer": FACTS,
        **changes,
    }
    return a.ScheduleActivity(**fields)


def test_an_activity_is_scheduled_then_completed_or_cancelled_once() -> None:
    history = a.decide(a.Activity(), schedule())
    state = a.activity_decider.fold(history)
    [done] = a.decide(state, a.CompleteActivity(activity_id="a1", outcome="renewed"))
    assert isinstance(done, ev.ActivityCompleted)
    with pytest.raises(ConflictError, match="completed already"):
        a.decide(a.evolve(state, done), a.CancelActivity(activity_id="a1"))


def test_an_activity_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError, match="after starts_at"):
        a.decide(a.Activity(), schedule(ends_at=T0))


def test_the_state_knows_the_name_and_its_changes() -> None:
    history = given(registered())
    assert c.customer_decider.fold(history).name == "Ana García"
    history += when(history, c.RenameCustomer(customer_id=CID, name="Ana G."))
    assert c.customer_decider.fold(history).name == "Ana G."


def test_names_are_similar_without_accents_and_case_but_blank_is_never_similar() -> None:
    from crm_contacts.domain.duplicates import similar

    assert similar("José María Pérez", "jose maria perez")
    assert not similar("José María Pérez", "Ana Ortiz")
    assert not similar("", "")
