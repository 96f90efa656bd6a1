// rotations.yaml → rotation requests, validated. Every problem is reported at once, each with
// the file, line and column and the entry it belongs to, so that a pull request's preview
// says exactly what to fix:
//
//   rotations.yaml:12:7: rotations[1] (helpdesk): devices[0]: "LAPTOP-1" is not a managed device id (a GUID)
//
// Pure (text in, data out): the program reads the file, the tests call it directly.
import {
  LineCounter,
  type Node,
  type YAMLMap,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
} from "yaml";
import type { DeviceQuery, WaitFor } from "pulumi-intune-bitlocker";

/** One entry of rotations.yaml. */
export interface RotationRequest {
  /** The fleet's resource name: its identity in state (renaming would rotate again). */
  name: string;
  /** Each new value rotates the entry's devices once. */
  token: string;
  reason?: string;
  /** Intune managed device ids; exactly one of devices and query is set. */
  devices?: string[];
  query?: DeviceQuery;
  waitFor?: WaitFor;
  rotateOnCreate?: boolean;
  /** Names this entry had before (Pulumi aliases), so a rename rotates nothing. */
  formerNames: string[];
  /** Where the entry starts: "rotations.yaml:7:5". */
  location: string;
}

export class RotationsFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file} is not a valid list of rotations (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
    this.name = "RotationsFileError";
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ENTRY_KEYS = [
  "name",
  "token",
  "reason",
  "devices",
  "query",
  "waitFor",
  "rotateOnCreate",
  "formerNames",
];
const WAIT_FOR: WaitFor[] = ["requested", "applied", "escrowed"];
const QUERY_KEYS: Record<keyof DeviceQuery, "string" | "boolean" | "strings" | "days"> = {
  operatingSystem: "string",
  joinTypes: "strings",
  encrypted: "boolean",
  namePattern: "string",
  coManaged: "boolean",
  checkedInWithinDays: "days",
  eligibleOnly: "boolean",
};

export function parseRotations(text: string, file = "rotations.yaml"): RotationRequest[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems: string[] = [];
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };

  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    problems.push(`${where}: ${e.message.split("\n")[0]}`);
  }
  // Aliases are not resolved by the checks below, and an unquoted glob ("*-KIOSK") is one.
  visit(doc, {
    Alias(_, alias) {
      problems.push(
        `${at(alias)}: *${alias.source} is a YAML alias, which this file does not use; ` +
          `if it is a name pattern, quote it: "*${alias.source}"`,
      );
    },
  });
  if (problems.length > 0) throw new RotationsFileError(file, problems);

  const root = doc.contents;
  if (!isMap(root)) {
    throw new RotationsFileError(file, [`${at(root)}: expected a mapping with a "rotations" list`]);
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "?";
    if (key !== "rotations") {
      problems.push(`${at(pair.key as Node)}: unknown key "${key}" (expected "rotations")`);
    }
  }
  const list = root.get("rotations", true);
  if (!isSeq(list)) {
    problems.push(
      `${at(list ?? root)}: "rotations" must be a list of entries (write "rotations: []" for none)`,
    );
    throw new RotationsFileError(file, problems);
  }

  const requests: RotationRequest[] = [];
  const resourceNames = new Map<string, string>(); // name or former name → where
  const listedDevices = new Map<string, string>(); // device id → entry label
  list.items.forEach((item, index) => {
    const node = item as Node;
    let label = `rotations[${index}]`;
    if (!isMap(node)) {
      problems.push(`${at(node)}: ${label}: expected a mapping (name, token, devices or query…)`);
      return;
    }
    const name = scalar(node, "name");
    if (typeof name === "string") label += ` (${name})`;
    const problem = (n: Node | null | undefined, message: string) =>
      problems.push(`${at(n ?? node)}: ${label}: ${message}`);

    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      if (!ENTRY_KEYS.includes(key)) {
        problem(
          pair.key as Node,
          `unknown key "${key}" (expected one of ${ENTRY_KEYS.join(", ")})`,
        );
      }
    }

    const request: RotationRequest = {
      name: "",
      token: "",
      formerNames: [],
      location: at(node),
    };
    if (typeof name !== "string" || !NAME.test(name)) {
      problem(
        node.get("name", true) as Node,
        name === undefined
          ? `"name" is missing`
          : `"name" must be letters, digits, ".", "_" or "-" (at most 100), not ${show(name)}`,
      );
    } else {
      request.name = name;
    }

    const token = scalar(node, "token");
    if (token === undefined) problem(node, `"token" is missing`);
    else if (token === null) problem(node.get("token", true) as Node, `"token" is empty`);
    else if (typeof token !== "string") {
      problem(
        node.get("token", true) as Node,
        typeof token === "object"
          ? `"token" must be a string, not ${show(token)}`
          : `"token" must be a string; quote it: token: "${String(token)}"`,
      );
    } else if (token.trim() === "") problem(node.get("token", true) as Node, `"token" is empty`);
    else request.token = token;

    const reason = scalar(node, "reason");
    if (reason !== undefined && reason !== null) {
      if (typeof reason === "string") request.reason = reason;
      else problem(node.get("reason", true) as Node, `"reason" must be a string`);
    }

    const waitFor = scalar(node, "waitFor");
    if (waitFor !== undefined) {
      if (WAIT_FOR.includes(waitFor as WaitFor)) request.waitFor = waitFor as WaitFor;
      else {
        problem(
          node.get("waitFor", true) as Node,
          `"waitFor" must be one of ${WAIT_FOR.join(", ")}, not ${show(waitFor)}`,
        );
      }
    }

    const rotateOnCreate = scalar(node, "rotateOnCreate");
    if (rotateOnCreate !== undefined) {
      if (typeof rotateOnCreate === "boolean") request.rotateOnCreate = rotateOnCreate;
      else
        problem(node.get("rotateOnCreate", true) as Node, `"rotateOnCreate" must be true or false`);
    }

    const former = node.get("formerNames", true) as Node | undefined;
    if (former !== undefined) {
      const names = stringList(former);
      if (!names || names.some((n) => !NAME.test(n))) {
        problem(former, `"formerNames" must be a list of names this entry had before`);
      } else request.formerNames = names;
    }

    const devicesNode = node.get("devices", true) as Node | undefined;
    const queryNode = node.get("query", true) as Node | undefined;
    if ((devicesNode === undefined) === (queryNode === undefined)) {
      problem(node, `needs exactly one of "devices" (a list of device ids) or "query"`);
    } else if (devicesNode !== undefined) {
      if (!isSeq(devicesNode) || devicesNode.items.length === 0) {
        problem(devicesNode, `"devices" must be a non-empty list of managed device ids`);
      } else {
        const ids: string[] = [];
        devicesNode.items.forEach((d, i) => {
          const value = isScalar(d) ? d.value : undefined;
          if (typeof value !== "string" || !GUID.test(value)) {
            problem(
              d as Node,
              `devices[${i}]: ${JSON.stringify(value ?? null)} is not a managed device id (a GUID)`,
            );
            return;
          }
          const id = value.toLowerCase();
          const other = listedDevices.get(id);
          if (other === label) problem(d as Node, `devices[${i}]: ${value} is listed twice`);
          else if (other) {
            problem(
              d as Node,
              `devices[${i}]: ${value} is also listed in ${other}: one device, one entry (it would rotate for each)`,
            );
          } else {
            listedDevices.set(id, label);
            ids.push(value);
          }
        });
        request.devices = ids;
      }
    } else {
      request.query = parseQuery(queryNode!, (n, m) => problem(n, m));
    }

    for (const n of [request.name, ...request.formerNames]) {
      if (!n) continue;
      const other = resourceNames.get(n);
      if (other) problem(node, `the name "${n}" is already used by ${other}`);
      else resourceNames.set(n, label);
    }
    requests.push(request);
  });

  if (problems.length > 0) throw new RotationsFileError(file, problems);
  return requests;
}

function parseQuery(
  node: Node,
  problem: (n: Node | null | undefined, message: string) => void,
): DeviceQuery | undefined {
  if (!isMap(node)) {
    problem(node, `"query" must be a mapping (namePattern, eligibleOnly, …)`);
    return undefined;
  }
  if (node.items.length === 0) {
    problem(
      node,
      `an empty "query" selects every Windows device; write operatingSystem: Windows if that is meant`,
    );
    return undefined;
  }
  const query: Record<string, unknown> = {};
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "?";
    const kind = QUERY_KEYS[key as keyof DeviceQuery];
    const valueNode = pair.value as Node | null;
    const value = isScalar(valueNode) ? valueNode.value : undefined;
    const where = `query.${key}`;
    switch (kind) {
      case undefined:
        problem(
          pair.key as Node,
          `unknown key "${where}" (expected one of ${Object.keys(QUERY_KEYS).join(", ")})`,
        );
        break;
      case "string":
        if (typeof value === "string" && value !== "") query[key] = value;
        else problem(valueNode, `${where} must be a non-empty string`);
        break;
      case "boolean":
        if (typeof value === "boolean") query[key] = value;
        else problem(valueNode, `${where} must be true or false`);
        break;
      case "days":
        if (typeof value === "number" && Number.isInteger(value) && value > 0) query[key] = value;
        else problem(valueNode, `${where} must be a whole number of days (> 0)`);
        break;
      case "strings": {
        const list = valueNode ? stringList(valueNode) : undefined;
        if (list && list.length > 0) query[key] = list;
        else problem(valueNode, `${where} must be a non-empty list of strings`);
        break;
      }
    }
  }
  return query as DeviceQuery;
}

const NOT_A_SCALAR = { notAScalar: true } as const;

/** The scalar value under `key` of a mapping: undefined when missing, NOT_A_SCALAR for a list or mapping. */
function scalar(map: YAMLMap, key: string): unknown {
  const node = map.get(key, true);
  if (node === undefined) return undefined;
  return isScalar(node) ? node.value : NOT_A_SCALAR;
}

function show(value: unknown): string {
  return value === NOT_A_SCALAR ? "a list or mapping" : JSON.stringify(value);
}

function stringList(node: Node): string[] | undefined {
  if (!isSeq(node)) return undefined;
  const out: string[] = [];
  for (const item of node.items) {
    if (!isScalar(item) || typeof item.value !== "string") return undefined;
    out.push(item.value);
  }
  return out;
}
