"""An operator finds a contact by what they remember of it: part of the name with or without accents, an
email, a phone number typed any usual way, combined with filters, one page at a time."""

from __future__ import annotations

from switchboard import clock

from bench.contact_search import measure
from tests.support.contacts import create, define_attributes, search
from tests.support.whatsapp import envelope, signed, text_message


def test_a_phone_typed_in_any_usual_form_finds_the_contact(api, demo, operator_token) -> None:
    create(api, operator_token, name="Jana Nováková", phones=["+420777123456"])
    create(api, operator_token, name="Someone Else", phones=["+420602000000"])

    for typed in ["%2B420%20777%20123%20456", "777123456", "00420777123456", "777%20123", "420777"]:
        assert search(api, operator_token, f"?q={typed}") == ["Jana Nováková"], typed


def test_names_and_emails_match_by_prefix_ignoring_case_and_accents(api, demo, operator_token) -> None:
    create(api, operator_token, name="Jana Nováková", emails=["jana@firma.cz"])
    create(api, operator_token, name="Petr Novotný", emails=["petr.n@example.com"])
    create(api, operator_token, name="Zdeněk Černý")

    assert sorted(search(api, operator_token, "?q=NOVA")) == ["Jana Nováková"]
    assert sorted(search(api, operator_token, "?q=nov")) == ["Jana Nováková", "Petr Novotný"]
    assert search(api, operator_token, "?q=cerny") == ["Zdeněk Černý"]
    assert search(api, operator_token, "?q=zdenek%20cer") == ["Zdeněk Černý"]
    assert search(api, operator_token, "?q=firma") == ["Jana Nováková"]
    assert search(api, operator_token, "?q=petr.n%40exam") == ["Petr Novotný"]
    assert search(api, operator_token, "?q=novakova%20petr") == []


def test_an_edited_name_is_found_by_the_new_name_only(api, demo, operator_token) -> None:
    contact = create(api, operator_token, name="Karel Starý")
    api.call("PATCH", f"/contacts/{contact['contact_id']}", {"name": "Karel Nový"}, token=operator_token)

    assert search(api, operator_token, "?q=novy") == ["Karel Nový"]
    assert search(api, operator_token, "?q=stary") == []


def test_a_contact_created_by_an_inbound_message_is_searchable(api, demo, process_inbound, operator_token) -> None:
    raw, headers = signed(envelope([text_message(sender="420777555666", name="Věra Malá")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()

    assert search(api, operator_token, "?q=vera") == ["Věra Malá"]
    assert search(api, operator_token, "?q=00420%20777%20555%20666") == ["Věra Malá"]
    assert search(api, operator_token, "") == ["Věra Malá"]


def test_filters_combine_with_the_text(api, demo, operator_token, admin_token) -> None:
    define_attributes(api, admin_token, {"name": "tier"})
    create(api, operator_token, name="Anna Vip", tags=["vip"], attributes={"tier": "gold"})
    create(api, operator_token, name="Anna Plain")
    clock.advance(3600)
    later = create(api, operator_token, name="Bob Vip", tags=["vip"])
    api.call("POST", f"/contacts/{later['contact_id']}/block", {"duration": "forever"}, token=operator_token)

    assert sorted(search(api, operator_token, "?tag=vip")) == ["Anna Vip", "Bob Vip"]
    assert search(api, operator_token, "?q=anna&tag=vip") == ["Anna Vip"]
    assert search(api, operator_token, "?attr.tier=GOLD") == ["Anna Vip"]
    assert search(api, operator_token, "?blocked=true") == ["Bob Vip"]
    assert sorted(search(api, operator_token, "?q=anna&blocked=false")) == ["Anna Plain", "Anna Vip"]
    since = clock.iso(clock.now() - __import__("datetime").timedelta(minutes=5)).replace("+", "%2B")
    assert search(api, operator_token, f"?created_from={since}") == ["Bob Vip"]
    assert sorted(search(api, operator_token, f"?created_to={since}")) == ["Anna Plain", "Anna Vip"]
    assert search(api, operator_token, f"?active_from={since}") == ["Bob Vip"]
    status, error = api.call("GET", "/contacts?created_from=yesterday", token=operator_token)
    assert status == 422 and error["field"] == "created_from"


def test_pages_follow_the_cursor_without_repeating(api, demo, operator_token) -> None:
    for n in range(7):
        create(api, operator_token, name=f"Marek Number{n}")

    seen, cursor = [], None
    while True:
        status, page = api.call("GET", f"/contacts?q=marek&limit=3{'&cursor=' + cursor if cursor else ''}",
                                token=operator_token)
        assert status == 200 and len(page["items"]) <= 3
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"Marek Number{n}" for n in range(7)]
    status, error = api.call("GET", "/contacts?q=other&cursor=" + "eyJway", token=operator_token)
    assert status == 422 and error["field"] == "cursor"


def test_a_search_page_costs_the_same_reads_in_a_ten_times_larger_directory() -> None:
    small, large = measure(200), measure(2000)

    assert small["results_on_page"] == large["results_on_page"] == 25
    assert small["requests_per_page"] == large["requests_per_page"] == 2
    assert small["reads_per_page"] == large["reads_per_page"]
    assert small["items_read_per_page"] == large["items_read_per_page"] == 50  # 25 index entries, 25 contacts
