import assert from "node:assert/strict";
import { permissionsNamedIn, permissionToGrant } from "../../provider/graph/errorHints";
import { GraphError, OutcomeUnknownError, parseGraphError } from "../../provider/graph/errors";

const DEVICE = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const REQ = "1a2b3c4d-0000-4000-8000-000000000001";

/** Intune's way: the real text is JSON inside `message`. */
function intuneEnvelope(code: string, text: string) {
  const inner = {
    _version: 3,
    Message: `${text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 7d1c9c0e-1111-4222-8333-944445555666 - Url: https://fef.msub02.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices('${DEVICE}')/microsoft.management.services.api.rotateBitLockerKeys?api-version=5023-05-04`,
    CustomApiErrorPhrase: "",
    RetryAfter: null,
    ErrorSourceService: "",
    HttpHeaders: "{}",
  };
  return JSON.stringify({
    error: {
      code,
      message: JSON.stringify(inner),
      innerError: { date: "2026-11-27T09:00:00", "request-id": REQ, "client-request-id": "c-1" },
    },
  });
}

describe("graph: parseGraphError", () => {
  it("reads Graph's envelope (404 → the device does not exist)", () => {
    const body = JSON.stringify({
      error: {
        code: "ResourceNotFound",
        message: "Resource not found",
        innerError: { "request-id": REQ, "client-request-id": "c-1" },
      },
    });
    const err = parseGraphError(404, {}, body, { deviceId: DEVICE, operation: "getManagedDevice" });
    assert.ok(err instanceof GraphError);
    assert.equal(err.status, 404);
    assert.equal(err.code, "ResourceNotFound");
    assert.equal(err.requestId, REQ, "request-id from innerError when the header is absent");
    assert.equal(err.hint, "the device does not exist in this tenant (deleted or wrong id).");
    assert.equal(
      err.message,
      `device ${DEVICE}: Graph 404 Not Found (request-id ${REQ}): the device does not exist in this tenant (deleted or wrong id). Resource not found.`,
    );
    assert.ok(!err.message.includes("\n"));
  });

  it("unwraps Intune's JSON-inside-message and names the permission to grant (403)", () => {
    const err = parseGraphError(
      403,
      { "request-id": REQ },
      intuneEnvelope(
        "Forbidden",
        "Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementManagedDevices.PrivilegedOperations.All, DeviceManagementManagedDevices.ReadWrite.All",
      ),
      { deviceId: DEVICE, operation: "rotateBitLockerKeys", clientRequestId: "c-1" },
    );
    assert.equal(err.code, "Forbidden");
    assert.equal(err.activityId, "7d1c9c0e-1111-4222-8333-944445555666");
    assert.ok(!err.graphMessage.includes("Operation ID"), "support trailer removed");
    assert.ok(!err.graphMessage.includes("_version"), "JSON unwrapped");
    assert.equal(
      err.message,
      `device ${DEVICE}: Graph 403 Forbidden (request-id ${REQ}): the app lacks a permission. Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementManagedDevices.PrivilegedOperations.All, DeviceManagementManagedDevices.ReadWrite.All. Grant DeviceManagementManagedDevices.ReadWrite.All (application) and admin-consent it.`,
    );
  });

  it("reads the recovery-key API's authorization_error (403 → BitlockerKey.ReadBasic.All)", () => {
    const body = JSON.stringify({
      error: {
        code: "authorization_error",
        message: "Failed to authorize, token doesn't have the required permissions.",
        innerError: { date: "2026-11-27T09:00:00", "request-id": REQ },
      },
    });
    const err = parseGraphError(403, {}, body, { operation: "listRecoveryKeys", deviceId: DEVICE });
    assert.equal(err.code, "authorization_error");
    assert.match(
      err.message,
      /Grant BitlockerKey\.ReadBasic\.All \(application\) and admin-consent it\.$/,
    );
  });

  it("keeps a plain (non-JSON) Intune-style message, trailer removed", () => {
    const body = JSON.stringify({
      error: {
        code: "BadRequest",
        message:
          '{"_version":3,"Message":"An error has occurred - Operation ID (for customer support): 0 - Activity ID: 7d1c9c0e-1111-4222-8333-944445555666 - Url: https://x"}',
      },
    });
    const err = parseGraphError(400, {}, body, {
      deviceId: DEVICE,
      operation: "rotateBitLockerKeys",
    });
    assert.equal(err.graphMessage, "An error has occurred");
    assert.match(err.hint, /may not support BitLocker key rotation/);
  });

  it("handles a non-JSON body (an HTML gateway page)", () => {
    const err = parseGraphError(
      502,
      { "request-id": REQ },
      "<html><head><title>502</title><style>p{}</style></head><body><h1>Bad Gateway</h1></body></html>",
      { operation: "listManagedDevices" },
    );
    assert.equal(err.code, "BadGateway");
    assert.equal(err.graphMessage, "502 Bad Gateway");
    assert.match(
      err.message,
      /^listManagedDevices: Graph 502 Bad Gateway \(request-id .*\): Graph is having service trouble\. 502 Bad Gateway\. Re-running is safe\.$/,
    );
  });

  it("handles an empty body", () => {
    const err = parseGraphError(503, {}, "", {});
    assert.equal(err.code, "ServiceUnavailable");
    assert.match(
      err.message,
      /^Graph request: Graph 503 Service Unavailable: Graph is having service trouble\. Re-running is safe\.$/,
    );
  });

  it("reads an OAuth-style body", () => {
    const err = parseGraphError(
      401,
      {},
      JSON.stringify({ error: "invalid_token", error_description: "expired" }),
    );
    assert.equal(err.code, "invalid_token");
    assert.equal(err.graphMessage, "expired");
    assert.match(err.hint, /bitlocker:tenantId/);
  });

  it("429: reads a fractional Retry-After and says the retries ran out", () => {
    const body = JSON.stringify({
      error: { code: "TooManyRequests", message: "Too many requests" },
    });
    const err = parseGraphError(429, { "retry-after": "2.128" }, body, { deviceId: DEVICE });
    assert.equal(err.retryAfterSeconds, 2.128);
    assert.match(
      err.hint,
      /throttled by Graph, still after the retries allowed \(bitlocker:maxRetries\) \(Graph asked to wait 2\.128 s\)/,
    );
    assert.match(err.hint, /postShareOfLimit/);
  });

  it("429 past the budget: the wait asked for, what was left, the key to raise", () => {
    const body = JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } });
    const err = parseGraphError(429, { "Retry-After": "3600" }, body, {
      deviceId: DEVICE,
      budget: { waitMs: 3_600_000, leftMs: 4_900, budgetMs: 5_000, askedByGraph: true },
    });
    assert.equal(err.retryAfterSeconds, 3600);
    assert.match(
      err.message,
      /throttled: Graph asked to wait 3600 s \(Retry-After\), more than the 4\.9 s left of the retry budget \(bitlocker:retryBudgetSeconds = 5 s\)/,
    );
    assert.match(err.message, /Run `pulumi up` again after that time/);
  });

  it("429: reads Retry-After as an HTTP date", () => {
    const now = Date.parse("2026-11-27T09:00:00Z");
    const err = parseGraphError(
      429,
      { "retry-after": "Fri, 27 Nov 2026 09:00:05 GMT" },
      "",
      {},
      now,
    );
    assert.equal(err.retryAfterSeconds, 5);
  });

  it("401: points at credentials and tenant", () => {
    const body = JSON.stringify({
      error: {
        code: "InvalidAuthenticationToken",
        message: "Access token has expired or is not yet valid.",
      },
    });
    const err = parseGraphError(401, {}, body, { operation: "listManagedDevices" });
    assert.match(
      err.message,
      /Graph 401 Unauthorized: the access token was rejected\. Access token has expired/,
    );
    assert.match(err.hint, /bitlocker:cloud/);
  });

  it("prefers the response header request-id over the body's", () => {
    const body = JSON.stringify({
      error: { code: "X", message: "m", innerError: { "request-id": "body-id" } },
    });
    assert.equal(parseGraphError(400, { "request-id": "header-id" }, body).requestId, "header-id");
  });
});

describe("graph: 403 permission hints", () => {
  it("reads Intune's scope list", () => {
    assert.deepEqual(
      permissionsNamedIn(
        "Application must have one of the following scopes: A.B.All, C.D.All - Operation",
      ),
      ["A.B.All", "C.D.All"],
    );
  });
  it("reads the 'requires one of' form", () => {
    assert.deepEqual(
      permissionsNamedIn(
        "Missing scope permissions on the request. API requires one of 'BitlockerKey.ReadBasic.All, BitlockerKey.Read.All'.",
      ),
      ["BitlockerKey.ReadBasic.All", "BitlockerKey.Read.All"],
    );
  });
  it("suggests the least privileged of those named", () => {
    assert.equal(
      permissionToGrant(
        "one of the following scopes: DeviceManagementManagedDevices.ReadWrite.All, DeviceManagementManagedDevices.Read.All",
        "getManagedDevice",
        "Forbidden",
      ),
      "DeviceManagementManagedDevices.Read.All",
    );
  });
  it("names an unknown permission as Graph spelled it", () => {
    assert.equal(
      permissionToGrant(
        "one of the following scopes: Some.New.Permission",
        "rotateBitLockerKeys",
        "Forbidden",
      ),
      "Some.New.Permission",
    );
  });
  it("falls back to the documented permission of the operation", () => {
    assert.equal(
      permissionToGrant("Forbidden", "rotateBitLockerKeys", "Forbidden"),
      "DeviceManagementManagedDevices.ReadWrite.All",
    );
    assert.equal(
      permissionToGrant("Forbidden", "listRecoveryKeys", "Forbidden"),
      "BitlockerKey.ReadBasic.All",
    );
  });
});

describe("graph: OutcomeUnknownError", () => {
  it("carries device, request ids and the send time, and says what to check", () => {
    const sentAt = new Date("2026-11-27T09:00:00.000Z");
    const err = new OutcomeUnknownError({
      status: 0,
      deviceId: DEVICE,
      operation: "rotateBitLockerKeys",
      clientRequestId: "c-1",
      sentAt,
      requestIds: ["r-429", "r-2"],
      reason: "the connection was closed (UND_ERR_SOCKET) after the request was sent",
    });
    assert.ok(err instanceof GraphError);
    assert.equal(err.name, "OutcomeUnknownError");
    assert.equal(err.code, "OutcomeUnknown");
    assert.deepEqual(err.requestIds, ["r-429", "r-2"]);
    assert.equal(err.sentAt, sentAt);
    assert.match(
      err.message,
      new RegExp(
        `^device ${DEVICE}: Graph OutcomeUnknown \\(client-request-id c-1\\): Graph may or may not have acted on it\\. the connection was closed`,
      ),
    );
    assert.match(
      err.message,
      /deviceActionResults for an action started at or after 2026-11-27T09:00:00\.000Z/,
    );
  });
});
