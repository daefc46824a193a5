// The floor of any gateway that reads what it forwards: read the JSON request, write it to the
// upstream, read the JSON answer and write it back; nothing else (no auth, routing, limits or spend).
// `bench/ab.ts --json-floor` runs it next to the null Worker: what parsing and re-serialising alone cost.
export default {
  async fetch(request, env) {
    const body = JSON.parse(await request.text());
    const res = await fetch(env.UPSTREAM + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-bench-upstream" },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    return new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  },
};
