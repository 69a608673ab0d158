/**
 * The README's performance section, written from a run's results: how it was measured, where
 * edge-chat stands against each target with the margin, and for a missed target what would fix it.
 */
import { fmt, judgedThroughput, ms, type Results, signed, type Target } from "./report.ts";

/** What to do about a missed target: the causes this bench and its profiles pointed at. */
const FIXES: Record<string, (r: Results, target: Target) => string> = {
  ttft: (r) => {
    const t = r.ttft!.paired;
    const common = t.nativeUnstored_minus_floor.median;
    const storing = t.native_minus_unstored.median;
    const fresh = t.nativeNew_minus_floor.median - t.native_minus_floor.median;
    const object = t.floorNew_minus_floor?.median;
    const own = t.nativeNew_minus_floorNew?.median;
    return (
      `Of the ${ms(t.native_minus_floor.median)} over the floor in a used session, about ${ms(common)} is the path every turn takes (the same turn with nothing stored, paired with the floor) ` +
      `and ${ms(storing)} what storing adds (native minus the same turn unstored, pair by pair: within the noise). Serving the route with no Hono middleware, routing or validation ` +
      `at all changed the runtime's CPU per turn by nothing measurable (an interleaved run), so that path is in the session object: the RPC, the turn's setup, the stream to the client. ` +
      `A used session's first writes are made just after its model request has gone (src/session/held-writes.ts), so their commit overlaps the model's own wait. ` +
      `The OpenAI dialect answered a stream only once the turn had produced something, so that a failure before the first token was an HTTP status: its first token waited for that ` +
      `answer to reach the Worker and the client (floor +3.8 ms against native's +2.2 ms in one run); it now answers once the model has accepted the request, as OpenAI's own API does ` +
      `(floor +1.9 ms, native +2.1 ms in the next; src/session/chat-session.ts). ` +
      `A turn in a used session no longer writes the alarm at its start when the one set before still goes off in time, nor at its end (src/session/chat-session.ts, \`armAlarm\`): ` +
      `each was a commit of its own the output gate held the answer or the end for (a used session's plain turn 1.3 ms shorter in an interleaved run). ` +
      `Both used-session figures sit on the goal within what they move between runs of the same code: native was floor +2.00, +2.22, +2.09, +2.28, +2.43 and +2.40 ms in the runs ` +
      `of this section before the bench left out wrangler's local trace store, +1.78, +1.59 and +1.88 ms since; the OpenAI dialect +1.89, +1.66, +2.66, +2.11, then +2.33, +2.04 and +1.57 ms. ` +
      `In the runs of this section before this one since the bench left out the runtime's inspector and the disk (the same code but for the event log's runs): native floor +1.89, +1.55 and +1.43 ms, OpenAI +1.30, +1.10 and +0.87 ms. ` +
      `A new session's first turn adds ${ms(fresh)}` +
      (object !== undefined && own !== undefined
        ? `; the runtime's own first request to a new object is floor ${signed(object, " ms", 2)} (the floor's, pair by pair), so against it the first turn of a new session is ${ms(own)}. `
        : ". ") +
      `That first request cost the floor 3.2 ms more while the databases were on the disk: the local runtime creating the new object's database file and syncing it, not edge-chat's code. ` +
      `What is left is edge-chat's own: the new session's schema (one baseline file, src/storage/migrate.ts) and its first writes, made after the reply's first text, on the one thread the ` +
      `first text's way to the client also needs. In those runs a new session's native first turn was floor +3.00, +2.69 and +2.95 ms, the OpenAI dialect's +2.15, +2.05 and +2.36 ms; in the full runs at 37be2cf and a18c2d5 (the same code under src/) native +2.81 and +1.99 ms, OpenAI +1.81 and +1.27 ms. ` +
      `Fixed at 6f5e5a7: those writes follow the first text by 10 ms instead of by a timer of 0 ms, which went off while the first frame was still on its way through the RPC stream ` +
      `and the Worker, on the same thread, so that the schema and the first writes ran ahead of it (src/session/held-writes.ts): with both builds in one interleaved run of 250 rounds, ` +
      `a new session's first token against the floor's own new object went from +2.86 to +1.90 ms in the native dialect and from +1.36 to +0.61 ms in the OpenAI one (and by −1.07 and ` +
      `−0.92 ms in another of 80 rounds). The one try of it before had been two section runs one after the other (native +2.81 against +2.69 ms), where the spread between runs covered it. ` +
      `Measured in the same harness and not the cause: the configuration is parsed once per isolate, not per object (a cache for the whole module changed nothing); opening a new ` +
      `object's database (the floor reading \`sqlite_master\` in its constructor) cost the floor 0.06–0.45 ms; moving the running turn's alarm to the pruning at each turn's end, so ` +
      `that no wake follows a turn 15 s later, moved no first token (+0.08 ms). ` +
      `The three full runs since, with the same code under src/ (6f5e5a7, 2e32fdd and 231da72), gave a new session's first turn floor +2.00, +2.57 and +2.33 ms native, ` +
      `+1.21, +2.04 and +1.68 ms OpenAI (against the floor's own new object +2.13 and +1.81 ms native, +1.21 and +0.86 ms OpenAI in the second and third), and a used ` +
      `session's +0.54, +0.97 and +0.96 ms native, +0.51, +1.04 and +0.77 ms OpenAI: the whole section moved by half a millisecond between them, the new session's figure ` +
      `with it, across the bound. Against the new floor (4 December, above), in two full runs of the same code again (bd7bbf2 and b53e701): a new session's first turn ` +
      `floor +1.98 and +2.73 ms native, +1.46 and +2.09 ms OpenAI; a used session's +0.46 and +1.01 ms native, +0.41 and +0.92 ms OpenAI. ` +
      `Tried and not kept: answering the native stream once the model has accepted the request, as the OpenAI dialect does (native new session +2.00 against +2.95 ms in a ` +
      `pair of runs): the gain is the Worker's handling of the answer and the object sharing one thread under \`wrangler dev\`, which production does not bind to one thread, and a native client ` +
      `would get its headers (\`X-Message-Id\`) only once the model answers; making a used session's first writes right after its model request is sent, in the same task ` +
      `(a hook after \`fetch()\` is called) instead of a timer's: the output gate then held the request or the answer (native floor +3.09 against +1.26 ms). ` +
      `Fixed here earlier: a new session's first writes follow the reply's first text instead of its request, and are one baseline schema file instead of six migration files; ` +
      `a listed session's Directory line is written at the turn's end only. ` +
      `The peer's figures are timed from the send on a socket opened beforehand, so its object already exists when the clock starts: its "new conversation" creates no object ` +
      `in the timed part, edge-chat's does (against the floor's own first request to a new object, edge-chat's new session is the figure above).`
    );
  },
  throughput: (r, target) => {
    const t = throughputOf(r, target.name)!;
    return (
      `The gap is CPU in the session object: ${fmt(t.perTokenMs.edge, 3)} ms a token over calling the upstream directly, against the floor's ${fmt(t.perTokenMs.floor, 3)} ms ` +
      `(CPU per 1,000 tokens: edge-chat ${fmt(t.cpuPer1kTokensMs.edge, 0)} ms, floor ${fmt(t.cpuPer1kTokensMs.floor, 0)} ms), and each turn's fixed cost: the turn's setup, ` +
      `its writes at the start and the end, its one log line, and the Directory call the end waits for, so that lists and stats are current when a client sees the end ` +
      `(not waiting for it took 4 ms off a 220-token reply in an interleaved run; kept for that guarantee; sending that call before the end's own writes, so that the two commits ` +
      `overlap, changed nothing measurable and was not kept). Per token, the upstream body is read a network read at a time through the provider's layers (timeouts, redaction) and ` +
      `the turn's generator. ` +
      `Timed from the client (4 December, evening: a harness of the floor and edge-chat alone, 40 interleaved turns of each, edge-chat's session emptied between them), a ` +
      `2,000-token reply's first token came floor +1.1 ms, its streaming from the first token to the last took 98.2 against the floor's 80.6 ms (1.22 ×, 8.8 µs a token), and its ` +
      `end, from the last token to the stream's end, 2.3 against 0.5 ms (the end's writes and the Directory call it waits for): 18 of its 25 ms over the floor's come per token. ` +
      `The time is over the CPU (in that harness the CPU of both processes was 1.12 × the floor's, 118 against 106 ms a reply; the section run alone at c9d57e0 gave the time ` +
      `1.37 × with the CPU 1.19 ×) because the runtime, the process that relays the frames, the bench's own (the upstream and the client) and V8's background threads share ` +
      `two cores, and edge-chat's background V8 threads, which compile and mark its heap, had 2.6 × the floor's samples (261 against 100, \`perf\` over 40 replies of each). ` +
      `Read from outside the runtime (4 December, after c421133 below: \`perf\` on both \`workerd\` processes of a \`wrangler dev\` over 30 stored 2,000-token turns, beside the ` +
      `floor's 30, with each thread's CPU from /proc): edge-chat's JavaScript itself is not where the time goes — its JIT code was 1.4 % of the samples and V8's builtins 3 %. What is ` +
      `over the floor is the runtime's work per token that the JavaScript sets off: promises and their reactions, the streams' C++ side, garbage collection (2 % more of the samples), ` +
      `switches between threads; and the second \`workerd\` process, which relays each frame to the client and, fed a little more slowly, is woken for one frame where the floor's ` +
      `finds two or three (12,000 more reads and voluntary switches over 60,000 tokens, a sixth of the difference). The counts are the floor's: 2,006 reads of the upstream for a ` +
      `2,000-token reply against the floor's 2,004 (counted in both), and as many writes to the client. Fixed then: the client's streams had a \`pull\`, for an error that follows ` +
      `the frames queued before it, which only the whole-answer stream needs; the runtime called it, a promise and its reaction made in C++, once a frame: 2.9 % of the samples, ` +
      `none for the floor, whose stream has none (src/session/byte-stream.ts). Two builds of each, interleaved against the floor: CPU per 1,000 tokens 1.43 and 1.34 × the floor's ` +
      `before, 1.24 and 1.23 × after, the time 1.39 and 1.27 × before, 1.20 and 1.22 × after; with 220-token replies CPU 1.29 and 1.42 × before, 1.28 and 1.24 × after. The ` +
      `bisection below was made before it, so its "turn on top" holds that \`pull\`. Measured since and not kept: keeping no text delta in the turn's buffer for late joiners ` +
      `(1.25 and 1.23 × against 1.23 and 1.30 ×), the provider without its redaction layer (1.20 and 1.23 × against 1.23 and 1.23 ×): nothing beyond what identical builds differ by. ` +
      `Measured later that day, the same way, and not kept: each network read's text handed by a callback from the provider's loop through the redaction straight to the turn's ` +
      `publishing, past every async generator and iterator between them (CPU 1.11 and 1.13 × the floor's against 1.12 and 1.10 × for two builds of the code as it is), and the ` +
      `upstream request made without its abort signal (1.22 and 1.21 × against 1.18 and 1.21 ×): so the layers' promises are not what is over the floor either. Fixed then: a ` +
      `2,000-token reply's event log wrote on its own every 500 events, four commits while it streamed, each holding the frames at the output gate; text now goes to the log only ` +
      `with the transcript's writes (src/session/event-log.ts), within the noise here (1.27 and 1.27 × against 1.25 and 1.33 ×, the total 1.23 and 1.16 × against 1.19 and ` +
      `1.24 ×). That harness, the floor and builds alone with no peer or direct call between them, gave this total 1.03–1.23 × the floor on the same code in runs an hour apart. ` +
      `Bisected on 4 December against the new floor, with builds that serve a 2,000-token reply through part of edge-chat's path and skip the rest (30 interleaved turns ` +
      `of each, CPU per 1,000 tokens as a ratio to the floor's, two runs): the floor's own loop inside edge-chat's Worker and session object 0.90 and 0.93 ×, so neither ` +
      `edge-chat's Worker nor its RPC costs anything the floor's does not; the model provider alone (its SSE reader, eventsource-parser, its generator) 1.03 ×, with the ` +
      `stream's timeouts 1.03 ×, with the redaction of secrets instead 1.10 ×, the whole provider stack (timeouts, retries, redaction) 1.05 and 1.11 ×; the turn on top of ` +
      `it (\`runTurn\`, \`ActiveTurn\`, the subscriber and its encoder), nothing stored, 1.19 ×; Hono, its middleware and validation on top of that 1.23 × (a stateless ` +
      `turn's route), a stored turn 1.21 ×; in a third run the stored turn 1.29 × and the same turn unstored 1.27 ×. So what is over the floor is about evenly the provider ` +
      `stack's and the turn's, some 20 µs a token each when every token is a network read of its own, and storing costs next to nothing of it. Identical builds in one ` +
      `harness differ by up to 5 %, so no finer split is certain: the redacting layer's \`next\` made a \`then\` on the inner stream's promise instead of an async ` +
      `function changed nothing (1.31 against 1.31 × with the two builds' order swapped; 1.43 against 1.34 × in the first order). ` +
      `A CPU profile of 60 stored 2,000-token turns (\`node bench/profile.ts 2000 60\`, 4 December, at 099b234), beside the floor's under the same load (\`PROFILE_FLOOR=1\`): ` +
      `the runtime's thread was busy 17.6 s against the floor's 15.3 s (1.15 ×, the total time's ratio). Of edge-chat's, 5.8 s were in its own JavaScript: the SSE reader's ` +
      `batches 2.0 s and the provider's loop 1.3 s (both holding the waits for reads that the profiler puts on the last function that ran), the frames to the clients (\`send\`, ` +
      `\`formatSse\`, \`jsonFrame\`) 0.9 s, the redaction of secrets 0.6 s, eventsource-parser 0.2 s; the floor's own JavaScript is its one \`transform\`, 2.0 s. ` +
      `The runtime's own work was 10.7 s against the floor's 13.1 s (that floor's \`pipeThrough\`, since replaced, was pumped inside the runtime, edge-chat's layers in JavaScript). ` +
      `No one function holds the difference, 19 µs a token: it is spread over the turn's layers, each a few percent of the thread. ` +
      `Every token of the bench's replies comes in a network read of its own (a 2,000-token reply is 2,000 frames to the client, edge-chat's and the floor's alike), so each ` +
      `goes the whole way alone; decoding them is not where the time goes: the same bytes in Node, read 16 KB at a time, cost edge-chat's reader and parser 1.4 µs a token ` +
      `and the floor's parsing 2.2 µs (4 December). Measured then and not kept: the client's stream as the runtime's own \`IdentityTransformStream\`, written without ` +
      `waiting, so that the runtime carries each frame with no JavaScript read: CPU per 1,000 tokens 1.14 × the old floor's against 1.09 × for the \`ReadableStream\` it ` +
      `would replace (40 interleaved 2,000-token turns of each build); the secret scrubber without \`matchAll\`'s copy of its pattern per piece: 1.1 → 0.9 µs a piece in ` +
      `Node, a tenth of a percent of a token's cost. ` +
      `The figure moves between runs of the same code: on this machine the 2,000-token ratio was 1.15 × at be7778d, 1.17 × at 6f5e5a7, 1.09 × at 2e32fdd and 1.14 × at 231da72 (CPU 1.11 ×, ` +
      `1.10 ×, 1.12 × and 1.13 ×); at c5212b7 the 220-token ratio was 1.05 × in a full run and 1.17 × in the section run alone, the 2,000-token one ` +
      `1.15 × and 1.09 ×; at 25f4c0a 1.13 × and 1.21 ×, 1.11 × and 1.13 × (the section alone on a machine three times slower, with CPU 1.21 × and 1.10 ×). ` +
      `Fixed here: the text deltas that one network read brings go on as one piece, one step through those layers, one log row and one frame (src/llm/openai.ts: a 2,000-token reply ` +
      `1.07 → 1.02 × the floor and 3 % less CPU in an interleaved run); a used session's turns write no alarm at their start or end when the one set before serves (1.3 ms a turn); ` +
      `a client's stream is fed by \`controller.enqueue\`; a listed session's Directory line is written at the turn's end only; the built-in tools' JSON Schema is made once. ` +
      `Fixed here earlier: the text deltas that follow each other in a flush are one row of the event log, not a row each (src/session/event-log.ts: 4 % less CPU at 200 ` +
      `concurrent 100-token streams, as much as logging no text at all saved). ` +
      `Measured differently since 2 December: the bench runs every \`wrangler dev\` without its local trace store, which tails each Worker and writes every span to a SQLite object ` +
      `on the runtime's own thread (a cost per span that production does not put in the Worker's process); with it, the floor's CPU per token was nearly twice what it is, ` +
      `edge-chat's turn ended 7.5 ms instead of 3 ms after its last token, and the ratios were 1.22 × and 1.12 × with CPU 1.29 × and 1.13 ×. And since this stop without the runtime's ` +
      `inspector and with the databases on tmpfs (above): both make the floor's share of a turn smaller too, so that a ratio judged against it shows more of edge-chat's own cost; the run ` +
      `at b3b353c, the first so measured, gave 1.18 × and 1.17 × (CPU 1.37 × and 1.19 ×).`
    );
  },
  cpu: () =>
    "The same cause as the total time's (see there). It moves between runs too: 1.12 × in the full run at c5212b7, 1.21 × in the section run alone at 25f4c0a, 1.37 × at b3b353c (the first run without the inspector and the disk), 1.22 × at 37be2cf and 1.34 × at a18c2d5 (the same code under src/). The emptying of the conversation between rounds (8 ms of CPU a round) is not counted against edge-chat and the peer.",
  history: (r) => {
    const sizes = r.history?.sizes ?? [];
    const [small, mid, large] = [sizes[0], sizes.at(-2), sizes.at(-1)];
    const flat =
      small && mid && large && mid !== small
        ? `From ${mid.stored.toLocaleString("en")} to ${large.stored.toLocaleString("en")} stored messages, with the same ${large.context.messages} sent, the turn took ` +
          `${fmt(large.overhead.median / mid.overhead.median, 2)} × as long: what grows is the context sent, ${small.context.messages} messages (${small.context.chars.toLocaleString("en")} ` +
          `characters) at ${small.stored} stored against ${large.context.messages} (${large.context.chars.toLocaleString("en")}) at the largest, up to CONTEXT_TOKEN_BUDGET — each read ` +
          `from its row, estimated, and written into the request — not the messages stored. `
        : "";
    return (
      flat +
      `A turn reads the history newest first only as far as the token budget reaches, and the session keeps its message count rather than counting its rows at each turn ` +
      `(src/session/store.ts). Since the bench left out the runtime's inspector and the disk, a turn's fixed part is smaller and the context's share larger: the ratio was 1.05 × and 1.08 × ` +
      `before, 1.17 × and 1.22 × in the first two runs since. Fixed here earlier: the history is read by one scan backwards over the rows while they are a chain, the walk from ` +
      `parent to parent taking over only at the first row of another branch (src/session/store.ts: 149 messages 0.36 ms instead of 1.14 ms in the runtime; the section run ` +
      `alone 1.22 → 1.08 ×); each message's token estimate counts wide characters with the regex engine instead of a loop over the text (src/llm/tokens.ts: 150 µs → 2–5 µs ` +
      `for 149 messages in Node).`
    );
  },
  concurrency: (r) => {
    const cpu = (r.concurrency?.levels ?? [])
      .filter((l) => l.ratios?.edge.cpu !== undefined && Number.isFinite(l.ratios.edge.cpu))
      .map((l) => `${fmt(l.ratios!.edge.cpu!, 2)} × at ${l.n} (whole stream ${fmt(l.ratios!.edge.total, 2)} ×)`)
      .join(", ");
    return (
      `One \`wrangler dev\` runs every object on one thread of a 2-core machine, so N simultaneous streams share one thread: a stream's whole time is N times its CPU, and first tokens ` +
      `queue behind every turn's start (the sessions exist beforehand, a turn each). ` +
      (cpu
        ? `Read around each burst, the runtime's CPU was the floor's times ${cpu}, medians of the rounds: the time follows the CPU, and what is over it is waiting. `
        : "") +
      `Fixed on 4 December: the clients' streams had a \`pull\` the runtime called once a frame (see the 2,000-token reply; src/session/byte-stream.ts); in the full run before ` +
      `it the 200-stream burst was 1.45 × the floor's whole and 1.80 × its first-token p99, in the one after 1.13 × and 1.38 ×, and 500 streams 1.49 × and 1.30 ×, then 1.47 × and ` +
      `1.74 ×. The CPU over the floor's grows with N (1.23 × at 200 and 1.45 × at 500 in that run), so at 500 more is at work than each stream's own cost. One part is the Directory: ` +
      `with no API keys all 500 sessions have one owner, and its one Directory object hears every turn's end, on the same thread. In bursts of 500 (a harness of its own, 3 ` +
      `rounds, the floor and two builds in turn), a build whose turn end makes no Directory call used 1.26 × the floor's CPU and took 1.25 × its whole stream, against 1.36 × and ` +
      `1.38 × for the real one. The call stays: it is what makes lists and stats current when a client sees the end, and in production each owner has a Directory of their own. ` +
      `The first tokens of a burst all come once every turn of it has started (first-token p50 and p99 within a few percent): requests that arrive together are each handled ` +
      `before any upstream answer is, so the first-token figure is the sum of the turns' starts. Their CPU, read over the first 2 s of bursts of 200 one-token turns whose first token ` +
      `was held back 2.5 s: edge-chat 3.85 ms a turn, the same turn unstored 3.3 ms, the floor 2.4 ms (interleaved, medians of 8). Taken out one at a time in the unstored turn, ` +
      `none of these changed that by more than the noise (±0.5 ms a turn): Hono altogether (the route served by a bare \`fetch\` handler), the built-in tools offered to the model, the ` +
      `provider's timeout, retry and redaction layers and the turn's clock. A turn's end, in whole bursts of one-token turns: its one log line 0.3 ms, the Directory call that keeps ` +
      `lists and stats current 0.4 ms of CPU (950 and 930 against 1,010 ms a burst of 200 without each); both stay, for what they are for. ` +
      `The rest is spread over the turn's own steps, none large: the stored part of a start is its first writes (the question, the empty reply, its log and state rows) and their ` +
      `commit, 0.5 ms; making them in the request's own task instead of a timer's saved about 0.25 ms a turn, within the noise, and would put their commit before the model request. ` +
      `Holding them while the reply streams (a second at most, or until the turn yields anything but text), in used and new sessions alike and with no answer waiting for them, ` +
      `took them out of every other turn's start: in an interleaved run of 200-stream bursts (10 rounds) first-token p99 went from 1.62 to 1.31 × the floor's, and in a full run ` +
      `(at 30f2673) the 200-stream burst was 1.12 × whole and 1.56 × first-token p99, 500 streams 1.35 × and 1.63 ×. It was not kept: the same run's single streams lost what the ` +
      `writes made in the model's wait had saved (a 220-token reply 1.34 × the floor, CPU 1.37 ×, a used session's native first token floor +2.17 ms), and a question written a ` +
      `second late where production gives each session its own thread buys nothing there. Per token, a network read of ` +
      `its own goes through the SSE decoder, the provider's layers and the turn's generators (a promise each) where the floor's is pumped by the runtime. ` +
      `The CPU profile cannot be read for this finer than that: under \`wrangler dev\` its samples put the thread's time outside JavaScript (the runtime's own work, a wait for a ` +
      `read) on the last JavaScript function that ran, so an async function that awaits a read or a commit shows that wait as its own time (a burst's start phase shows the ` +
      `upstream's 2.5 s as \`stream\`'s), and only the runtime's CPU time, read from /proc, decides. ` +
      `Read from outside the runtime instead, with \`perf\` on the \`workerd\` process (its JIT code named by V8's \`--perf-basic-prof\`, passed through ` +
      `\`MINIFLARE_WORKERD_V8_FLAGS\`), the first 2 s of a burst of 200 one-token turns whose first token was held back 2.5 s (3 December, after the assets were left out): edge-chat ` +
      `2,374 samples against the floor's 1,177. Of edge-chat's, 461 are in stacks with its own JavaScript (the held first writes with their SQL 6 % of all, the turn's setup, the ` +
      `session's reads), and 1,913 are the runtime's work outside any of it, against the floor's 1,109: the RPC and the object's gates, the upstream request, and garbage collection ` +
      `(308 against 112 samples, with about as many collections, 26 against 22 over a burst of 200 100-token streams counted with a uprobe at the heap's entry point: more live objects per session to scan, not more garbage). So most of a start's cost ` +
      `over the floor's is the runtime carrying a richer turn, not a function of edge-chat's to make faster. Counted with uprobes on \`ActorSqlite::commitImpl\`, a 100-token stream ` +
      `commits 5.2 times at 20 concurrent streams and 12.9 times at 200, where each lasts longer and its reply is written once a second. ` +
      `Counted again on 4 December (later), over whole bursts in a harness of the floor and edge-chat alone, with the object kinds told apart by counters in a build of its own: ` +
      `5.0 commits a stream at 200 streams, and at 500 8.7 — the turn's first writes 1, the reply's text 4 (once a second once 20 pieces have come; a 100-token reply has ` +
      `room for 5), the event log on a clock of its own 1.7, the end 1, the Directory's shared ones 0.01. ` +
      `The log's own went (src/session/event-log.ts: text is logged only with the transcript's writes), 8.0 a stream in the next burst; the rest are the question made ` +
      `durable, the crash bound and the end, and stay. Their CPU effect was within the noise of 4 rounds of two builds (9.5, 9.6, 8.3 and 9.8 s against 8.8, 9.9, 9.3 and 8.4 s). ` +
      `What a commit costs, measured where the bench runs (\`node bench/commit-cost.ts\`, 4 December, databases on tmpfs, no inspector, 20 objects × 400 tasks, medians of 8 ` +
      `rounds): one small row in a task of its own 8.8 µs of the runtime's CPU, a reply's flush (its row, one log row, the counter) 40 µs, the same flush among a client's ` +
      `streamed frames, their wait at the output gate included, 81 µs. So a stream's 8 commits are about 0.65 ms of the 4 ms it costs the runtime over the floor's at 500, a ` +
      `sixth. (This text said 0.25–0.35 ms a commit before, from a micro-benchmark of 2 December made before the bench put the databases on tmpfs, where the local runtime ` +
      `syncs every commit to the disk, and turned the inspector off; that is not what a commit costs now, and the commits are not most of the excess.) Where the rest goes, read from outside the runtime with \`perf\` (999 Hz) on both ` +
      `\`workerd\` processes over two bursts of 500 100-token streams each, in a harness of the floor and edge-chat alone (4 December): the process that relays frames to the ` +
      `clients 4,432 samples against the floor's 4,299, the runtime's own 12,584 against 8,878. Of the runtime's 3,706 more: its event loop and its kj and Rust I/O layers +987, ` +
      `workerd's API glue +633 (its clock, \`IoContext::now\`, +104; kj's cancelers 144 samples against the floor's 10: the one thing of that ` +
      `kind edge-chat's path has and the floor's has not is the abort signal its upstream request carries), edge-chat's JIT code +545, the rest of V8 +346, V8's builtins (promises, generators) +275, SQLite +272, garbage collection +231, the allocator ` +
      `+141, the C library and the rest +287, the kernel the same for both. No part is a third of it. Per stream, in whole bursts read from /proc: 0.75 ms of it is fixed, a ` +
      `turn's start and end (bursts of 200 one-token turns: 2.67 against 1.92 ms of CPU a turn, both processes), and the rest comes per token: about 34 µs a token over the ` +
      `floor's at 500 streams against 20 µs at 20. Both relays' cost a token falls in a crowd, where the runtime's wakeups serve many streams at once, but the floor's more: ` +
      `0.192 ms at 20 streams and 0.116 ms at 500, edge-chat's 0.212 and 0.150 ms (20 ms between tokens, from the two sizes' CPU per stream, 10 and 2 bursts). So the ratio ` +
      `grows with N because the floor gains more from a crowd than edge-chat's richer token does, not because of the commits. ` +
      `Under \`wrangler dev\` a task that writes is a commit of its own, so the Directory writes the turn ends that come in together in one task, one commit for all (src/directory/directory.ts: 3–5 % less ` +
      `CPU at 500 streams in an interleaved run). Writing the reply only at its end (none while it streams) took CPU 5 % lower and the burst from 1.63 to 1.47 × the floor's in one ` +
      `run, but those writes are what bounds a crash's loss to one interval, so they stay. ` +
      `Fixed here earlier: the text deltas that follow each other in a flush are one row of the event log (4 % less CPU at 200 concurrent 100-token streams, src/session/event-log.ts). ` +
      `Since this stop the bench runs without the runtime's inspector and with the databases on tmpfs (above): with the inspector each turn's log line cost 0.75 ms of CPU, and on ` +
      `this machine's disk each commit held the thread (whole-stream p50 of 200 one-token turns 834 ms on the disk, 682 ms on tmpfs); the concurrency section run alone at 250f715 ` +
      `(inspector off, databases still on the disk) gave 1.28 × and 1.46 × at 200 streams, 1.61 × and 1.54 × at 500. ` +
      `The figure moves from run to run more than any other (1.2–2.4 × per round at 200 streams, on the same code): the contenders' bursts run one after another, so each N runs in rounds ` +
      `in rotated order and the ratios judged are the rounds' medians (the report lists each round). Since a18c2d5 each N begins with a warm-up burst of every contender that is not counted, ` +
      `as every other section discards its first iterations, and three rounds count instead of two: run alone at f5fe838, the first of two rounds at 200 streams had cost edge-chat's runtime ` +
      `3,410 ms of CPU against the second's 2,560 (the floor's 2,120 and 1,890), and at 500 7,200 against 6,650 (5,810 and 5,380). The last full run that counted the first round, at 37be2cf ` +
      `with the same code under src/, judged 1.38 × whole and 1.82 × first-token p99 at 200 streams, 1.39 × and 1.71 × at 500, with the CPU 1.44 × and 1.35 × the floor's. ` +
      `On this machine the two levels traded places between two full runs with the same code for a used session's turn (the bench's sessions exist beforehand): at be7778d 200 streams ` +
      `1.21 × whole and 1.51 × first-token p99, 500 streams 1.27 × and 1.34 ×; at 6f5e5a7 1.17 × and 1.33 ×, 1.59 × and 1.73 ×, with the floor's CPU over a 500-stream burst a third lower ` +
      `than in the run before (8.6, 8.2 and 9.8 s against 14.4, 11.0 and 11.7 s) and edge-chat's a fifth (12.8, 12.6 and 12.2 s against 16.5, 17.0 and 14.1 s); at 2e32fdd, the same code again, 1.22 × and 1.53 × at 200, 1.31 × and 2.09 × at 500, ` +
      `where the first tokens of a burst of 500 came at p50 2.5–3.6 s against the floor's 1.4–1.9 s: the sum of the turns' starts, 5–7 ms of the thread's time each against ` +
      `the floor's 3–4 ms under that load; at 231da72, the same code once more, 1.18 × and 1.42 × at 200 (met), 1.32 × and 1.40 × at 500. ` +
      `Fixed here earlier: every frame to a client was a write to a TransformStream's writer ` +
      `chained behind the last (CPU per token 3–5 % lower without it at a token per network read); a streaming reply is written once a second once 20 pieces have come, not by time alone. ` +
      `With no API keys every session has one owner, whose one Directory object hears about every turn's end.`
    );
  },
  tools: (r) =>
    `A turn's MCP connection is kept for the session's next turn (no new \`initialize\`), and the bench's tool turns run in one session, so its figure is the kept connection's. ` +
    `What a call adds to a turn is more than the call: the model's tool-call reply is a model request the plain turn does not make. Timed inside the session object ` +
    `(4 December, the runtime's own clock, which moves in whole milliseconds, so means of 80 and 120 tool turns in two interleaved runs): the model's tool-call request took ` +
    `2.6 and 3.8 ms from \`fetch\` to the end of its stream (the scripted upstream answers the same body to Node in ${ms(r.tools!.upstreamStep.median)}); \`callTool\` to its result 5.3 and ` +
    `5.4 ms, against the SDK's 4.8 and 5.1 ms from Node in the same runs; and everything else of the step (the asking message's write and its events before the call, the results' ` +
    `writes and events after it, the start of the next request) 0.6 and 0.7 ms. So the bound, 2 ms over the SDK's call, leaves less than that one model request costs from the runtime ` +
    `(every request does: the floor's own first token is ${ms(r.ttft ? (r.ttft.paired.floor_minus_direct?.median ?? NaN) : NaN)} over the direct call). ` +
    `The step's two writes are not what is over it: a build that stored neither the asking message nor the results, run interleaved with the real one, added 0.5 ms more, not less, in ` +
    `both runs (80 and 120 rounds), as holding the results until the next model request had gone had shown no gain before (five interleaved pairs of 40-round runs: −4.1 to ` +
    `+0.35 ms, the machine's drift between runs); the asking message must be durable before the call goes out in any case (a crash after it and before the message was stored would lose that the call was made, and a tool that is not idempotent could run twice). ` +
    `The SDK's transport reads the answer's SSE through a \`TextDecoderStream\` and parses its content type, which a profile made look costly; replacing both in a copy of the SDK ` +
    `moved the time after the call by 0.25 ms, within its noise, so the SDK's transport stays.`,
};

/** The reply size a "Total time, N-token reply" target names (the judged one if it names none). */
export function throughputOf(r: Results, name: string): NonNullable<Results["throughput"]>[number] | undefined {
  const tokens = Number(/(\d+)-token/.exec(name)?.[1]);
  return r.throughput?.find((t) => t.tokens === tokens) ?? judgedThroughput(r);
}

/**
 * Met with less room than the same code's figures move between runs: 0.5 ms for a bound in
 * milliseconds, 0.05 for a ratio (the README's texts list those runs).
 */
export function narrowlyMet(t: Target): boolean {
  const room = [...t.margin.matchAll(/([+−-]\d+(?:\.\d+)?)\s*(ms|×)/g)].map((m) => ({
    value: Number(m[1].replace("−", "-")),
    unit: m[2],
  }));
  return room.some(({ value, unit }) => value >= 0 && value < (unit === "ms" ? 0.5 : 0.05));
}

function targetKey(name: string): keyof typeof FIXES | undefined {
  if (name.startsWith("Time to first token")) return "ttft";
  if (name.startsWith("Total time")) return "throughput";
  if (name.startsWith("CPU")) return "cpu";
  if (name.startsWith("Turn at")) return "history";
  if (name.includes("concurrent")) return "concurrency";
  if (name.startsWith("Tool")) return "tools";
  return undefined;
}

export function performanceSection(r: Results): string {
  const p: string[] = [];
  const e = r.environment;
  p.push("## Performance");
  p.push(
    "`npm run bench` measures what edge-chat costs on top of the Workers runtime. Beside it, on the same `wrangler dev` and in the same run, runs a **floor**: " +
      "the thinnest relay the runtime allows (`bench/floor/`, a Worker → Durable Object → upstream pass-through that re-frames chunks as SSE and stores nothing). " +
      "Since 4 December it reads the upstream in a loop of `reader.read()` and feeds its client by `controller.enqueue`, as edge-chat does; before, it piped the upstream through a `TransformStream`, " +
      "which under workerd costs 17–23 % more of the runtime's CPU per token and as much more time (220- and 2,000-token replies, 40–60 interleaved turns of each relay): that floor was not the thinnest relay, " +
      "and every ratio judged against it flattered edge-chat (in one interleaved run a 2,000-token reply took 1.07 × the old floor's time and 1.37 × the new one's, its CPU 1.07 × and 1.38 ×). " +
      "Since fa78f2e it runs on exactly edge-chat's compatibility date and flags, as do the peer and bench/commit-cost/ (test/unit/bench-runtime.test.ts): it had kept " +
      "`enable_request_signal` after edge-chat dropped it (781c634), a runtime behaviour one side had and the other had not. " +
      "Requests alternate between the contenders and every figure is a median (p99 in brackets) of pair-by-pair differences or ratios, so drift of the machine falls on all alike. " +
      "The upstream is the scripted OpenAI-compatible server of the tests; MCP is the reference server. " +
      "The **peer** is Cloudflare's own `AIChatAgent` (`bench/peer/`: agents and @cloudflare/ai-chat in their documented minimal setup, AI SDK `streamText` on the same upstream, its own package.json installed on first use), on its own `wrangler dev`, spoken to over its WebSocket protocol. " +
      "CPU per token is each server's `workerd` process time (/proc) over the throughput rounds, less the emptying of the conversations between them. " +
      "Four things of `wrangler dev` that production does not have in the Worker's process are left out (bench/lib/procs.ts, bench/lib/dev-server.ts): " +
      "its local trace store (`X_LOCAL_OBSERVABILITY=false`), which writes every span of every Worker to a SQLite object on the runtime's own thread; " +
      "its inspector (each server is started through wrangler's `unstable_startWorker` with `dev.inspector: false`), which the command line attaches to every Worker with the DevTools `Runtime` domain on, so that each `console.log` is also serialized for DevTools and parsed by a second `workerd`: " +
      "0.75 ms of CPU for a turn's one log line, against about 0.25 ms without it (200 concurrent one-token turns, interleaved), a cost only code that logs pays (the floor logs nothing); " +
      "a disk under the objects' databases (they are kept on a tmpfs, `/dev/shm`, where there is one): the local runtime syncs every commit to the disk on the object's own thread, which on this machine's virtual disk held every other stream meanwhile (200 one-token turns: whole-stream p50 834 ms on the disk, 682 ms on tmpfs), where production makes a write durable on replicas on other machines; " +
      "and edge-chat's static assets (the chat page), which under `wrangler dev` are three more Workers in the same `workerd` in front of every request (miniflare's assets proxy, the assets router, and the asset Worker it asks whether a path is a file) and two more stream pipes under every chunk of every response: " +
      "1,029 pipe writes for one 100-token stream against 825 without them and the floor's 811 (counted with uprobes on `workerd`), and the runtime's CPU 1.43 against 1.28 × the floor's at 20 concurrent streams (one interleaved run); " +
      "in production that routing is Cloudflare's, in front of the Worker and not billed as its CPU, and neither the floor nor the peer has assets, so the bench runs edge-chat from a copy of wrangler.toml without its `[assets]` table (no request of the bench reads an asset). " +
      "Runs before 2 December had the trace store, runs before b3b353c the inspector or the disk, runs before 3 December edge-chat's assets, runs before 4 December the old floor, and runs before fa78f2e the floor's extra flag: their figures, which the texts below quote by commit, are not comparable with these. " +
      "The machine is shared with other engineers' test runs: absolute times vary from run to run, pairs and ratios less, CPU per token least. " +
      "Since 3 December the bench runs on another machine (2 × AMD EPYC), where every contender takes about twice as long as on the Xeon of the runs before (in the first run there the floor's 220-token reply 43 ms against 18 ms, its CPU per 1,000 tokens 209 ms against 86 ms): bounds in milliseconds (a first token within floor + 2 ms, a tool round trip within the SDK's call + 2 ms) are harder to meet there than the ratios.",
  );
  p.push(
    `Latest run: ${e.date.slice(0, 10)}, commit ${e.commit}, wrangler ${e.wrangler}, ${e.cpus} × ${e.cpuModel}, databases on ${e.storage === "tmpfs" ? "tmpfs" : "the disk"}, scale \`${r.sizes.scale}\` (${fmt((r.durationMs ?? 0) / 60_000, 1)} minutes).`,
  );
  if (r.targets?.length) {
    const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
    p.push(
      [
        row(["target", "goal", "measured", "margin", ""]),
        row(["---", "---", "---", "---", "---"]),
        ...r.targets.map((t) => row([t.name, t.goal, t.measured, t.margin, t.met ? "✅ met" : "❌ missed"])),
      ].join("\n"),
    );
  }

  const lines: string[] = [];
  if (r.ttft) {
    const t = r.ttft;
    lines.push(
      `- **Time to first token** (a ${t.tokens}-token reply, ${t.delayMs} ms per token): direct ${ms(t.ttft.direct.median)}, floor ${ms(t.ttft.floor.median)}, ` +
        `edge-chat native ${ms(t.ttft.native.median)} (floor ${signed(t.paired.native_minus_floor.median, " ms", 2)}, p99 ${signed(t.paired.native_minus_floor.p99, " ms")}), ` +
        `the same turn with nothing stored floor ${signed(t.paired.nativeUnstored_minus_floor.median, " ms")}, ` +
        `OpenAI dialect ${ms(t.ttft.openai.median)} (floor ${signed(t.paired.openai_minus_floor.median, " ms", 2)}); the first turn of a new session: native floor ${signed(t.paired.nativeNew_minus_floor.median, " ms", 2)}, OpenAI floor ${signed(t.paired.openaiNew_minus_floor.median, " ms", 2)}` +
        (t.paired.floorNew_minus_floor
          ? ` (the floor's own first request to a new object is floor ${signed(t.paired.floorNew_minus_floor.median, " ms", 2)}: against it, native ${signed(t.paired.nativeNew_minus_floorNew.median, " ms", 2)}, OpenAI ${signed(t.paired.openaiNew_minus_floorNew.median, " ms", 2)})`
          : "") +
        ". " +
        `The peer (\`AIChatAgent\`): ${ms(t.ttft.peer.median)} in a used conversation (floor ${signed(t.paired.peer_minus_floor.median, " ms", 2)}), ${ms(t.ttft.peerNew.median)} in a new one (floor ${signed(t.paired.peerNew_minus_floor.median, " ms", 2)}). The runtime itself (floor − direct) adds ${ms(t.paired.floor_minus_direct.median)}.`,
    );
  }
  for (const t of r.throughput ?? []) {
    lines.push(
      `- **${t.tokens}-token reply, no delay**: direct ${ms(t.total.direct.median)}, floor ${ms(t.total.floor.median)}, peer ${ms(t.total.peer.median)}, edge-chat ${ms(t.total.edge.median)}: ` +
        `${fmt(t.paired.edge_over_floor.median, 2)} × the floor (p99 ${fmt(t.paired.edge_over_floor.p99, 2)} ×), ${fmt(t.paired.edge_over_peer.median, 2)} × the peer; per streamed token the floor adds ${fmt(t.perTokenMs.floor, 3)} ms over direct, the peer ${fmt(t.perTokenMs.peer, 3)} ms, edge-chat ${fmt(t.perTokenMs.edge, 3)} ms. ` +
        `CPU of the runtime per 1,000 tokens: floor ${fmt(t.cpuPer1kTokensMs.floor, 0)} ms, peer ${fmt(t.cpuPer1kTokensMs.peer, 0)} ms, edge-chat ${fmt(t.cpuPer1kTokensMs.edge, 0)} ms.`,
    );
  }
  if (r.history) {
    const h = r.history;
    lines.push(
      `- **History**: edge-chat's own time for a turn (the turn less the same upstream request sent directly) is ` +
        h.sizes
          .map(
            (s) =>
              `${ms(s.overhead.median)} at ${s.stored.toLocaleString("en")} stored messages (${s.context.messages} sent)`,
          )
          .join(", ") +
        ` — ${fmt(h.ratio.overhead, 2)} × from the smallest to the largest. The sessions were filled through the Responses API, ${h.build.requests.toLocaleString("en")} requests of up to ${h.build.batch.toLocaleString("en")} messages.`,
    );
  }
  if (r.concurrency) {
    const c = r.concurrency;
    lines.push(
      `- **Concurrency** (${c.tokens} tokens at ${c.delayMs} ms each, all started at once, each its own session; ` +
        `${c.levels[0]?.rounds?.length ?? 1} round(s) per N${c.warmup ? ` after ${c.warmup} warm-up burst(s) of each contender that are not counted` : ""}, the figures below from the median round): ` +
        c.levels
          .map(
            (l) =>
              `${l.n} streams: ${l.edge.errors} errors, first token p50 ${ms(l.edge.ttft.median)} / p99 ${ms(l.edge.ttft.p99)}, whole stream p50 ${ms(l.edge.total.median)} (floor ${ms(l.floor.ttft.median)} / ${ms(l.floor.ttft.p99)}, ${ms(l.floor.total.median)}, ${l.floor.errors} errors; peer ${ms(l.peer.ttft.median)} / ${ms(l.peer.ttft.p99)}, ${ms(l.peer.total.median)}, ${l.peer.errors} errors)` +
              (l.ratios?.edge.cpu !== undefined && Number.isFinite(l.ratios.edge.cpu)
                ? `, the runtime's CPU over a burst ${fmt(l.ratios.edge.cpu, 2)} × the floor's (peer ${fmt(l.ratios.peer.cpu ?? Number.NaN, 2)} ×, medians of the rounds)`
                : ""),
          )
          .join("; ") +
        `. One \`wrangler dev\` runs every object on one thread of a ${e.cpus}-core machine, so first tokens queue behind every turn's start, ` +
        `and with no API keys every session has one owner, whose one Directory object hears about every turn; in production objects spread over machines and each owner has their own Directory.`,
    );
  }
  if (r.tools) {
    const t = r.tools;
    lines.push(
      `- **Tool round trip**: one MCP call (\`${t.tool}\`) adds ${ms(t.added.median)} (p99 ${ms(t.added.p99)}) to a turn; from Node the SDK takes ${ms(t.sdkWarmCall.median)} on an open connection and ${ms(t.sdkColdCall.median)} to connect and call ` +
        `(a session's turns share one kept connection), and the upstream answers the step's extra model request in ${ms(t.upstreamStep.median)} to Node: what is left once both are taken out, round by round, is ${ms(t.edgeOwn.median)}, the runtime's cost of making the two requests included.`,
    );
  }
  if (r.bundle)
    lines.push(
      `- **Bundle**: ${fmt(r.bundle.gzipKiB, 0)} KiB gzip (${fmt(r.bundle.uploadKiB, 0)} KiB raw), ${fmt((r.bundle.gzipKiB / r.bundle.limitKiB) * 100, 1)} % of the 10 MB a Worker may be.`,
    );
  p.push(lines.join("\n"));

  // A cause text once per kind of target; a kind whose text is under the misses is not repeated.
  const seen = new Set<string>();
  const explain = (heading: string, targets: Target[]) => {
    const items: string[] = [];
    for (const t of targets) {
      const key = targetKey(t.name);
      if (!key || seen.has(key)) continue;
      seen.add(key);
      items.push(`- **${t.name}** (${t.measured}; goal ${t.goal}, ${t.margin}): ${FIXES[key](r, t)}`);
    }
    if (items.length) p.push(heading, items.join("\n"));
  };
  explain(
    "### Where a target is missed",
    (r.targets ?? []).filter((t) => !t.met),
  );
  explain(
    "### Where a target is met by less than runs of the same code vary",
    (r.targets ?? []).filter((t) => t.met && narrowlyMet(t)),
  );
  p.push(
    `Run it: \`npm run bench\` (${r.durationMs ? `${fmt(r.durationMs / 60_000, 0)} minutes for the latest run on ${e.cpus} cores` : "some minutes"}; \`-- --help\` for sizes, \`--only ttft,throughput\`, \`BENCH_SCALE=smoke\` for a quick look). ` +
      "It writes `bench/results.json` and `bench/report/` (`results.md`, `chart.svg`, this section). `npm test` runs the smoke size, so the bench cannot rot.",
  );
  return `${p.join("\n\n")}\n`;
}
