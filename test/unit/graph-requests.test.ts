// Pure request-building rules: ids in paths, OData query options, nextLink, $batch.
import assert from "node:assert/strict";
import {
  graphErrorFromBatchResponse,
  isIdempotentBatch,
  readBatchAnswer,
  validateBatch,
} from "../../provider/graph/batch";
import { CLOUDS, isKnownAuthorityHost } from "../../provider/graph/clouds";
import { devicePath } from "../../provider/graph/ids";
import { isGuid } from "../../provider/plan/ids";
import { odataLiteral, queryString } from "../../provider/graph/odata";
import { nextLinkPath } from "../../provider/graph/paging";
import type { BatchRequest } from "../../provider/graph/types";

const ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

describe("graph: clouds", () => {
  it("matches the national cloud table", () => {
    assert.deepEqual(CLOUDS.global, {
      graphBaseUrl: "https://graph.microsoft.com",
      authorityHost: "https://login.microsoftonline.com",
      scope: "https://graph.microsoft.com/.default",
    });
    assert.equal(CLOUDS.usgov.graphBaseUrl, "https://graph.microsoft.us");
    assert.equal(CLOUDS.usgovdod.graphBaseUrl, "https://dod-graph.microsoft.us");
    assert.equal(CLOUDS.usgovdod.authorityHost, "https://login.microsoftonline.us");
    assert.equal(CLOUDS.china.scope, "https://microsoftgraph.chinacloudapi.cn/.default");
  });
  it("knows Microsoft's authorities and nothing else", () => {
    for (const c of Object.values(CLOUDS))
      assert.equal(isKnownAuthorityHost(c.authorityHost), true);
    assert.equal(isKnownAuthorityHost("https://127.0.0.1:8443"), false);
    assert.equal(isKnownAuthorityHost("https://login.microsoftonline.com.evil.test"), false);
  });
});

describe("graph: ids in paths", () => {
  it("builds device paths from GUIDs", () => {
    assert.equal(devicePath("managedDevices", ID), `/deviceManagement/managedDevices/${ID}`);
    assert.equal(
      devicePath("comanagedDevices", ID.toUpperCase()),
      `/deviceManagement/comanagedDevices/${ID.toUpperCase()}`,
    );
  });
  for (const bad of ["../../me", `${ID}/../x`, `${ID}?$select=key`, `${ID}%2F..`, "", " " + ID]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(isGuid(bad), false);
      assert.throws(() => devicePath("managedDevices", bad), TypeError);
    });
  }
  it("refuses an unknown collection", () => {
    assert.throws(() => devicePath("users" as never, ID), /collection/);
  });
});

describe("graph: OData query options", () => {
  it("quotes strings (doubling quotes) and leaves booleans bare", () => {
    assert.equal(odataLiteral("O'Brien"), "'O''Brien'");
    assert.equal(odataLiteral(true), "true");
  });
  it("builds $filter, $select, $top", () => {
    assert.equal(
      queryString({
        filter: { property: "operatingSystem", value: "Windows" },
        select: ["id", "deviceName"],
        top: 1000,
      }),
      "?$filter=operatingSystem%20eq%20'Windows'&$select=id,deviceName&$top=1000",
    );
    assert.equal(queryString({}), "");
  });
  it("cannot be widened by a value", () => {
    const q = queryString({ filter: { property: "deviceName", value: "x' or true or 'a" } });
    assert.equal(decodeURIComponent(q), "?$filter=deviceName eq 'x'' or true or ''a'");
  });
  for (const bad of ["id eq 1", "a,b", "$top", ""]) {
    it(`refuses property ${JSON.stringify(bad)}`, () => {
      assert.throws(() => queryString({ filter: { property: bad, value: "x" } }), TypeError);
      assert.throws(() => queryString({ select: [bad] }), TypeError);
    });
  }
  it("refuses page sizes Graph would not honour", () => {
    assert.throws(() => queryString({ top: 0 }), TypeError);
    assert.throws(() => queryString({ top: 1001 }), TypeError);
  });
});

describe("graph: nextLink", () => {
  const base = "https://graph.microsoft.com";
  it("keeps the link verbatim below the base", () => {
    const link = `${base}/beta/deviceManagement/managedDevices?$top=1000&$skiptoken=a%2Bb'c`;
    assert.equal(
      nextLinkPath(link, base),
      "/beta/deviceManagement/managedDevices?$top=1000&$skiptoken=a%2Bb'c",
    );
  });
  for (const bad of [
    "https://evil.test/beta/x",
    "https://graph.microsoft.com.evil.test/beta/x",
    "http://graph.microsoft.com/beta/x",
    "/beta/x",
  ]) {
    it(`refuses ${bad}`, () => assert.throws(() => nextLinkPath(bad, base), /outside/));
  }
});

describe("graph: $batch", () => {
  const rotate = (id: string): BatchRequest => ({
    id,
    method: "POST",
    url: `/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`,
  });
  const get = (id: string): BatchRequest => ({
    id,
    method: "GET",
    url: `/deviceManagement/managedDevices/${ID}`,
  });

  it("accepts 1 to 20 requests", () => {
    validateBatch([rotate("1")]);
    validateBatch(Array.from({ length: 20 }, (_, i) => rotate(String(i))));
    assert.throws(() => validateBatch([]), /1 to 20/);
    assert.throws(
      () => validateBatch(Array.from({ length: 21 }, (_, i) => rotate(String(i)))),
      /1 to 20/,
    );
  });
  it("refuses duplicate ids, unknown dependencies and urls that leave the version root", () => {
    assert.throws(() => validateBatch([rotate("1"), rotate("1")]), /unique/);
    assert.throws(() => validateBatch([{ ...rotate("1"), dependsOn: ["9"] }]), /unknown id 9/);
    for (const url of [
      "https://evil.test/x",
      "//evil.test/x",
      "deviceManagement/x",
      "/a/../../x",
      "/a b",
      "/a\\b",
    ]) {
      assert.throws(() => validateBatch([{ id: "1", method: "GET", url }]), /url must be/, url);
    }
  });
  it("knows a batch of GETs is idempotent", () => {
    assert.equal(isIdempotentBatch([get("1"), get("2")]), true);
    assert.equal(isIdempotentBatch([get("1"), rotate("2")]), false);
  });
  it("returns inner answers in request order, header names lower-cased, and lists the missing", () => {
    const { responses, missing } = readBatchAnswer([rotate("a"), rotate("b"), rotate("c")], {
      responses: [
        {
          id: "c",
          status: 429,
          headers: { "Retry-After": "3" },
          body: { error: { code: "TooManyRequests", message: "slow down" } },
        },
        { id: "a", status: 204 },
      ],
    });
    assert.deepEqual(
      responses.map((r) => r.id),
      ["a", "c"],
    );
    assert.deepEqual(missing, ["b"]);
    assert.equal(responses[1]!.headers!["retry-after"], "3");
    const err = graphErrorFromBatchResponse(responses[1]!, {
      deviceId: ID,
      operation: "rotateBitLockerKeys",
    });
    assert.equal(err.status, 429);
    assert.equal(err.code, "TooManyRequests");
    assert.equal(err.retryAfterSeconds, 3);
  });
});
