"""Reading Mailgun's form and checking its signature, without AWS."""

from __future__ import annotations

import pytest

from switchboard.email.receipt import form_fields, verify_mailgun
from switchboard.errors import BadSignature
from tests.support.email import fixture, multipart_form, signature, signed_fields, urlencoded_form

NOW = 1_795_000_000


@pytest.mark.parametrize("encode", [multipart_form, urlencoded_form])
def test_body_mime_comes_back_byte_for_byte(encode) -> None:  # noqa: ANN001
    raw = fixture("iso_8859_2.eml")  # 8-bit ISO-8859-2 body: not UTF-8
    body, headers = encode(signed_fields(raw, timestamp=NOW, token="a" * 50))

    fields = form_fields(body, headers["Content-Type"])

    assert fields["body-mime"] == raw
    assert fields["token"] == b"a" * 50 and fields["timestamp"] == str(NOW).encode()


def test_a_message_uploaded_as_a_file_part_is_read_too() -> None:
    raw = fixture("koi8_r.eml")
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"body-mime\"; filename=\"m.eml\"\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + raw + b"\r\n--XyZ--\r\n")

    fields = form_fields(body, "multipart/form-data; boundary=XyZ")

    assert b"Subject: =?KOI8-R?B?" in fields["body-mime"]


def test_a_body_that_is_not_a_form_has_no_fields() -> None:
    assert form_fields(b"garbage", "multipart/form-data; boundary=nope") == {}
    assert form_fields(b"", "application/x-www-form-urlencoded") == {}


def test_the_signature_is_hmac_of_timestamp_and_token_and_must_be_fresh() -> None:
    fields = {"timestamp": str(NOW).encode(), "token": b"t" * 50,
              "signature": signature("key", str(NOW), "t" * 50).encode()}

    assert verify_mailgun(fields, "key", NOW + 299) == "t" * 50
    with pytest.raises(BadSignature, match="stale"):
        verify_mailgun(fields, "key", NOW + 301)
    with pytest.raises(BadSignature, match="does not match"):
        verify_mailgun(fields, "other-key", NOW)
    with pytest.raises(BadSignature) as missing:
        verify_mailgun({k: v for k, v in fields.items() if k != "token"}, "key", NOW)
    assert missing.value.missing
