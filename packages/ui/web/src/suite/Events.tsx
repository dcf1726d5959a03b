/** Events section (shell): what is planned. */
export default function Events() {
  return (
    <>
      <div className="toolbar"><h1>Events</h1></div>
      <div className="empty">The Events section (EventBuses, EventSources and Sensors as a graph) is not built yet.</div>
    </>
  );
}
