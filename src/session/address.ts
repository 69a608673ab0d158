/** How owners and sessions map to Durable Object ids: one object per owner+session, one directory per owner. */

/**
 * The owner of what an end user does through a key that acts for its users: their own, apart
 * from the key's and every other user's (key names hold no `/`, so the pair cannot collide).
 */
export function endUserOwner(keyName: string, userId: string): string {
  return `${keyName}/${userId}`;
}

/** The one pattern a session id must match, everywhere it is accepted. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function sessionStub(env: Env, owner: string, sessionId: string) {
  // JSON keeps the pair unambiguous whatever characters an owner name holds.
  return env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(JSON.stringify([owner, sessionId])));
}

export function directoryStub(env: Env, owner: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(JSON.stringify(["directory", owner])));
}
