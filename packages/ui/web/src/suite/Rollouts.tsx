/** Rollouts section (shell): what is planned, and where the Rollouts API lives today. */
export default function Rollouts() {
  return (
    <>
      <div className="toolbar"><h1>Rollouts</h1></div>
      <div className="empty">
        The Rollouts section is not built yet. Use <code>kubectl argo rollouts get rollout NAME --watch</code>, or
        <code> kubectl argo rollouts dashboard</code>, meanwhile.
      </div>
    </>
  );
}
