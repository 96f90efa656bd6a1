// Routes the Entra ID paths; null when the path is not Entra's.
import type { SimRequest, SimResponse } from "../http/exchange";
import type { EntraContext } from "./context";
import { instanceDiscovery, openIdConfiguration, signingKeys } from "./discovery";
import { tokenEndpoint } from "./tokenEndpoint";

export async function routeEntra(req: SimRequest, ctx: EntraContext): Promise<SimResponse | null> {
  const parts = req.url.pathname.split("/").filter(Boolean);
  const [tenant, ...rest] = parts;
  if (!tenant) return null;
  const tail = rest.join("/");
  if (req.method === "GET") {
    if (
      tail === "v2.0/.well-known/openid-configuration" ||
      tail === ".well-known/openid-configuration"
    ) {
      return openIdConfiguration(req, ctx, tenant);
    }
    if (tail === "discovery/v2.0/keys" || tail === "discovery/keys") return signingKeys(ctx);
    if (tail === "discovery/instance") return instanceDiscovery(req, ctx);
  }
  if (req.method === "POST" && tail === "oauth2/v2.0/token") return tokenEndpoint(req, ctx, tenant);
  return null;
}
