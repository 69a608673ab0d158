/**
 * Many users behind one key: a key marked `act-for-users` in `API_KEYS` may name the end user it
 * calls for, in `X-User-Id` (or in the body: OpenAI's `user` on `/v1/chat/completions` and
 * `/v1/responses`, Anthropic's `metadata.user_id` on `/v1/messages`). Each end user
 * is then an owner of their own (`<key name>/<user>`): their own conversation list, turn slots
 * and usage, in their own Directory object. Any other caller that names a user is refused (403):
 * its key was not trusted to speak for anyone but itself.
 */
import type { Context } from "hono";
import type { ApiKey } from "../config";
import { endUserOwner } from "../session/address";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

const USER_ID = /^[A-Za-z0-9._@:+-]{1,128}$/;

function checkedUserId(userId: string, param: string): string {
  if (!USER_ID.test(userId))
    throw new ApiError("invalid_request", `${param} must be 1-128 characters of A-Z, a-z, 0-9 and . _ @ : + -`, {
      param,
    });
  return userId;
}

/** The owner a request made with `key` (null: auth is off) acts as, after its `X-User-Id`. */
export function ownerFor(c: Context<AppEnv>, key: ApiKey | null, keyOwner: string): string {
  const userId = c.req.header("x-user-id");
  if (userId === undefined) return keyOwner;
  if (!key?.actForUsers)
    throw new ApiError(
      "acting_for_users_not_allowed",
      key
        ? "this API key may not name an end user: only keys marked act-for-users in API_KEYS (name:key:act-for-users) may send X-User-Id"
        : "X-User-Id needs an API key marked act-for-users in API_KEYS; this server has none",
      { param: "X-User-Id" },
    );
  return endUserOwner(key.name, checkedUserId(userId, "X-User-Id"));
}

/**
 * A body's end-user field (OpenAI's `user`, Anthropic's `metadata.user_id`) names the end user when a trusted key sent no `X-User-Id`; from any
 * other key it is what OpenAI makes of it, a hint, and changes nothing.
 */
export function actForUser(c: Context<AppEnv>, user: string | null | undefined): void {
  const key = c.get("apiKey");
  if (!user || !key?.actForUsers || c.req.header("x-user-id") !== undefined) return;
  c.set("owner", endUserOwner(key.name, checkedUserId(user, "user")));
}
