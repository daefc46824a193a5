// Team aliases for the team_alias label and payload field: the principal carries the team id only. Read
// from D1 on first sight of a team and again after TTL_MS, in the background of a finished call.
const TTL_MS = 60_000;
const MAX_TEAMS = 10_000;

export class TeamAliases {
  private readonly cache = new Map<string, { alias: string | null; at: number }>();

  constructor(private readonly db: D1Database) {}

  async get(teamId: string): Promise<string | null> {
    const now = Date.now();
    const known = this.cache.get(teamId);
    if (known && now - known.at < TTL_MS) return known.alias;
    let alias = known?.alias ?? null;
    try {
      const row = await this.db.prepare(`SELECT team_alias FROM teams WHERE team_id = ?`).bind(teamId).first<{ team_alias: string | null }>();
      alias = row?.team_alias ?? null;
    } catch {
      /* D1 unreachable: the last alias known, if any */
    }
    if (this.cache.size >= MAX_TEAMS) this.cache.clear();
    this.cache.set(teamId, { alias, at: now });
    return alias;
  }
}
