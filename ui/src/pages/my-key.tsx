// A virtual key's own page: its spend, budget, limits and latest calls.
import type { Session } from "../api";
import { PageHeader } from "../components";
import { KeyDetails } from "./key-details";

export function MyKey(props: { session: Session }) {
  return (
    <>
      <PageHeader title={`My key: ${props.session.user}`} />
      <section class="card">
        <KeyDetails />
      </section>
    </>
  );
}
