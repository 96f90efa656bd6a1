// bitlocker-report's options and main function, with in-memory I/O.
import assert from "node:assert/strict";
import { main, type ReportIo } from "../../provider/report/main";
import { DEFAULT_LIMIT, parseOptions, UsageError } from "../../provider/report/options";
import {
  CIPHERTEXT_SENTINEL,
  exported,
  mixedStack,
  NOW,
  PROVIDER_SENTINEL,
  secret,
  single,
} from "./report-fixtures";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[];
}

async function run(
  argv: string[],
  opts: { tty?: boolean; state?: unknown; fail?: string } = {},
): Promise<Run> {
  const out = { stdout: "", stderr: "", calls: [] as string[] };
  const text =
    typeof opts.state === "string" ? opts.state : JSON.stringify(opts.state ?? mixedStack());
  const io: ReportIo = {
    readFile: async (p) => {
      out.calls.push(`file ${p}`);
      if (opts.fail) throw new Error(opts.fail);
      return text;
    },
    readStdin: async () => {
      out.calls.push("stdin");
      return text;
    },
    exportStack: async (s) => {
      out.calls.push(`stack ${s}`);
      return text;
    },
    stdout: { write: (s: string) => (out.stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => NOW,
  };
  const code = await main(argv, io);
  return { code, ...out };
}

describe("report: options", () => {
  it("parses every option", () => {
    assert.deepEqual(
      parseOptions([
        "state.json",
        "--format",
        "json",
        "--overdue-days",
        "90",
        "--now",
        "2026-11-27T10:00:00Z",
        "--fail-on",
        "failed,error",
        "--limit",
        "0",
      ]),
      {
        input: "state.json",
        format: "json",
        overdueDays: 90,
        now: NOW,
        failOn: ["failed", "error"],
        limit: 0,
        help: false,
      },
    );
    assert.deepEqual(parseOptions(["--stack", "org/proj/prod"]), {
      stack: "org/proj/prod",
      failOn: [],
      limit: DEFAULT_LIMIT,
      help: false,
    });
  });

  const bad: [string[], RegExp][] = [
    [[], /no input/],
    [["a.json", "b.json"], /one input file/],
    [["a.json", "--stack", "prod"], /not both/],
    [["-", "--format", "html"], /--format must be one of table, markdown, json/],
    [["-", "--overdue-days", "0"], /at least 1/],
    [["-", "--overdue-days", "ninety"], /whole number/],
    [["-", "--limit", "-1"], /--limit/],
    [["-", "--now", "yesterday"], /ISO 8601/],
    [["-", "--fail-on", "failed,broken"], /unknown: broken/],
    [["-", "--fail-on", "overdue"], /needs --overdue-days/],
    [["-", "--colour"], /Unknown option/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      assert.throws(
        () => parseOptions(argv),
        (e: Error) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});

describe("report: main", () => {
  it("prints a table on a terminal and markdown otherwise", async () => {
    assert.match(
      (await run(["-"], { tty: true })).stdout,
      /^BitLocker key rotation report: stack prod/,
    );
    assert.match((await run(["-"], { tty: false })).stdout, /^## BitLocker key rotation report/);
    assert.ok(JSON.parse((await run(["-", "--format", "json"], { tty: true })).stdout).rows);
  });

  it("reads a file, stdin, or `pulumi stack export --stack NAME`", async () => {
    assert.deepEqual((await run(["state.json"])).calls, ["file state.json"]);
    assert.deepEqual((await run(["-"])).calls, ["stdin"]);
    const r = await run(["--stack", "prod"]);
    assert.deepEqual([r.calls, r.code], [["stack prod"], 0]);
    assert.match(r.stdout, /\*\*14\*\* devices/);
  });

  it("exits 1 with --fail-on when a device has one of the statuses, and still prints the report", async () => {
    const r = await run(["-", "--fail-on", "failed,error,canceled"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /### Needs attention/);
    assert.equal(
      r.stderr,
      "bitlocker-report: 3 device(s) failed or error (--fail-on failed,error,canceled)\n",
    );
    assert.equal((await run(["-", "--fail-on", "canceled,notSupported"])).code, 0);
    assert.equal((await run(["-"])).code, 0, "no --fail-on: 0 whatever the statuses");
  });

  it("--fail-on overdue fails on overdue devices", async () => {
    const r = await run(["-", "--overdue-days", "90", "--fail-on", "overdue"]);
    assert.deepEqual(
      [r.code, r.stderr],
      [1, "bitlocker-report: 3 device(s) overdue (--fail-on overdue)\n"],
    );
    assert.equal((await run(["-", "--overdue-days", "365", "--fail-on", "overdue"])).code, 0);
  });

  it("uses --now for ages, else io.now()", async () => {
    const overdue = async (extra: string[]) =>
      JSON.parse((await run(["-", "--format", "json", "--overdue-days", "90", ...extra])).stdout);
    const today = await overdue([]);
    assert.deepEqual([today.now, today.overdue.devices.length], ["2026-11-27T10:00:00Z", 3]);
    const later = await overdue(["--now", "2027-03-01T00:00:00Z"]);
    // Every device with a request or adoption on record (11 of 14; not the skip, the error, the missing one).
    assert.deepEqual([later.now, later.overdue.devices.length], ["2027-03-01T00:00:00Z", 11]);
  });

  it("exits 2 with the usage on bad options, and with a message on unreadable input", async () => {
    const usage = await run(["--format", "html", "-"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--format must be one of/);
    assert.match(usage.stderr, /Usage:/);
    assert.equal(usage.stdout, "");
    const missing = await run(["nope.json"], {
      fail: "ENOENT: no such file or directory, open 'nope.json'",
    });
    assert.deepEqual(
      [missing.code, missing.stderr],
      [
        2,
        "bitlocker-report: cannot read nope.json: ENOENT: no such file or directory, open 'nope.json'\n",
      ],
    );
    const notJson = await run(["-"], { state: "Current stack is prod" });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /not JSON.*pulumi stack export/);
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /bitlocker-report --stack NAME/);
  });

  it("prints warnings on stderr and in the report", async () => {
    const r = await run(["-"], {
      state: exported(single("hidden", { managedDeviceId: secret() as never })),
    });
    assert.match(r.stderr, /warning: hidden: managedDeviceId is a secret/);
    assert.match(r.stdout, /> \*\*Warning:\*\* hidden: managedDeviceId is a secret/);
  });

  it("never prints the serialized provider, secrets, tokens or raw outputs, in any format", async () => {
    const state = exported(
      single("s", {
        rotationToken: "INC-4711 disclosed to j.doe",
        reason: "TICKET-REASON-TEXT",
        requestId: "REQUEST-ID-TEXT",
      }),
      single("t", { rotationToken: secret() as never }),
    );
    for (const format of ["table", "markdown", "json"]) {
      const r = await run(["-", "--format", format, "--overdue-days", "1"], { state });
      for (const s of [
        PROVIDER_SENTINEL,
        CIPHERTEXT_SENTINEL,
        "INC-4711",
        "TICKET-REASON-TEXT",
        "REQUEST-ID-TEXT",
        "__provider",
        "azureADDeviceId",
      ]) {
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `${format} printed ${s}`);
      }
    }
  });
});
