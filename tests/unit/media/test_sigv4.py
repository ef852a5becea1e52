"""The SigV4 signer against the worked examples of AWS's S3 documentation.

The expected signatures are AWS's own ("Examples: Signature Calculations in AWS Signature
Version 4", sig-v4-header-based-auth.html), so the signer is checked against the spec
rather than against itself; the integration tests add moto's botocore-based check.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.media.sigv4 import AwsCredentials, encode_path, encode_query, payload_hash, sign

EXAMPLE = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
AT = datetime(2013, 5, 24, tzinfo=UTC)
HOST = "examplebucket.s3.amazonaws.com"
EMPTY = payload_hash(b"")


def signature(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "expected"),
    [
        pytest.param(
            "GET",
            "/test.txt",
            {},
            {"Range": "bytes=0-9"},
            b"",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            id="GET object",
        ),
        pytest.param(
            "PUT",
            "/test$file.text",
            {},
            {
                "Date": "Fri, 24 May 2013 00:00:00 GMT",
                "x-amz-storage-class": "REDUCED_REDUNDANCY",
            },
            b"Welcome to Amazon S3.",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            id="PUT object",
        ),
        pytest.param(
            "GET",
            "/",
            {"lifecycle": ""},
            {},
            b"",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            id="GET bucket lifecycle",
        ),
        pytest.param(
            "GET",
            "/",
            {"prefix": "J", "max-keys": "2"},
            {},
            b"",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            id="list objects",
        ),
    ],
)
def test_aws_documented_examples(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    expected: str,
) -> None:
    signed = sign(
        method=method,
        host=HOST,
        path=encode_path(path),
        query=encode_query(query),
        headers=headers,
        body_sha256=payload_hash(body),
        credentials=EXAMPLE,
        region="us-east-1",
        now=AT,
    )
    assert signature(signed) == expected
    assert signed["Authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
    )
    assert (signed["Host"], signed["x-amz-date"]) == (HOST, "20130524T000000Z")


def test_encoding_follows_s3_rules() -> None:
    # Paths keep their slashes and are encoded once; query values lose their slashes too.
    assert encode_path("/b/media/t-1/ü x+y") == "/b/media/t-1/%C3%BC%20x%2By"
    assert encode_query({"prefix": "a b/c", "list-type": "2", "delete": ""}) == (
        "delete=&list-type=2&prefix=a%20b%2Fc"
    )


def test_the_secret_never_shows() -> None:
    assert EXAMPLE.secret_access_key not in repr(EXAMPLE)
    signed = sign(
        method="GET",
        host=HOST,
        path="/x",
        query="",
        headers={"x-amz-meta-note": "  two   spaces "},
        body_sha256=EMPTY,
        credentials=EXAMPLE,
        region="us-east-1",
        now=AT,
    )
    assert EXAMPLE.secret_access_key not in str(signed)
    assert "x-amz-meta-note" in signed["Authorization"]
