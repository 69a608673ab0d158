/** The current date and time in a time zone: the thing a model cannot know by itself. */
import { z } from "zod";
import { defineTool } from "../local";

export const currentTime = defineTool({
  name: "current_time",
  description:
    "Get the current date and time. Give an IANA time zone such as Europe/Paris or America/New_York (default UTC).",
  input: z.object({
    timezone: z.string().max(64).default("UTC").describe("IANA time zone name, e.g. Asia/Tokyo"),
  }),
  idempotent: true,
  async handler({ timezone }) {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        dateStyle: "full",
        timeStyle: "long",
      });
    } catch {
      throw new Error(`unknown time zone "${timezone}"`);
    }
    const now = new Date();
    return { timezone, iso: now.toISOString(), local: format.format(now) };
  },
});
