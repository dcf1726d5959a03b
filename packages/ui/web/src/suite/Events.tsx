/** Events section: a placeholder until a server offers an Events API. */
export default function Events() {
  return (
    <>
      <div className="toolbar"><h1>Events</h1></div>
      <div className="empty">
        The Events section (EventBuses, EventSources and Sensors as a graph, recent events and trigger results) needs an
        Events API, which no Flotilla server offers yet. Meanwhile: <code>kubectl get eventbus,eventsources,sensors -A</code>.
      </div>
    </>
  );
}
