// The platform floor: a Worker that does nothing but pass the request to the upstream and the
// response back (status, headers and body streamed as-is). It runs in the same workerd, with the same
// compatibility date and flags as the gateway, so "gateway minus this" is the gateway's own cost.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, request);
  },
};
