#pragma once
// Declaring an agent kind: a plain struct with a name, a MessagePack-serializable state,
// the events it handles and one handler per event. No CAF types: a kind is unit-tested
// with test_kit, without sockets, threads or a store.
//
//   struct greeter {
//     static constexpr std::string_view name = "greeter";
//     struct state { std::uint32_t greeted = 0; MSGPACK_DEFINE_MAP(greeted) };
//     using events = handles<hello>;
//     static void on(state& s, const hello& h, context& ctx) {
//       ++s.greeted;
//       ctx.emit(ctx.out(), greeting{"hi " + h.who});
//     }
//   };

#include "switchyard/agents/body.hpp"
#include "switchyard/agents/context.hpp"
#include "switchyard/agents/detail/session_kind.hpp"
#include "switchyard/agents/events.hpp"

#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::agents {

template <class... Events> struct handles {};

template <class K>
concept agent_kind = requires {
  { K::name } -> std::convertible_to<std::string_view>;
  typename K::state;  // MSGPACK_DEFINE_MAP, default-constructible
  typename K::events; // handles<...>, one static on(state&, const E&, context&) per E
}
&&std::default_initializable<typename K::state>;

/// Bounds and policies of one kind; each bound fails in the way its comment says.
struct kind_options {
  /// Written into snapshots: a snapshot of another version is not restored (the session
  /// is rebuilt from the inbox events still stored instead). Bump it when the state's
  /// layout or meaning changes.
  std::uint32_t version = 1;
  /// A session passivates (checkpoint with a snapshot, then stops) after this long without
  /// events; its next event, or a timer it armed coming due, brings it back.
  duration idle{120'000};
  /// Events between snapshots (0: only when the session passivates): a rebuild replays at
  /// most this many, plus what came after the last checkpoint.
  std::uint32_t snapshot_every = 200;
  /// Then the event is dead-lettered and the kind gets `poisoned`.
  std::uint32_t max_crashes_per_event = 3;
  /// A bigger state fails the snapshot (effect_refused) and so the session, loudly.
  std::size_t max_state_bytes = 1 << 20;
  /// Calls, sends and handoffs between sessions within one turn: past it, a call fails
  /// with `call_failed{error}` and a send or handoff is dropped (a delegation loop).
  std::uint32_t max_hops_per_turn = 16;
  /// Inputs of one fan_out: more is effect_refused (the event is dead-lettered).
  std::uint32_t max_fan_out = 64;
  // The last four are capped on a node by agents.max_crashes_per_event, max_state_bytes,
  // max_hops_per_turn and max_fan_out (the operator's word on what one kind may take).
};

/// How an event type is named in the inbox and built from a routed delivery.
template <class E> struct event_traits {
  static std::string key() { return std::string{E::type}; }
  static E make(const detail::delivery& d) { return unpack<E>(d.body); }
};
template <class R> struct event_traits<reply<R>> {
  static std::string key() { return "reply:" + std::string{R::type}; }
  static reply<R> make(const detail::delivery& d) { return {d.id, d.tag, unpack<R>(d.body)}; }
};
template <class R> struct event_traits<joined<R>> {
  static std::string key() { return "joined:" + std::string{R::type}; }
  static joined<R> make(const detail::delivery& d) {
    return {d.id, d.tag, unpack<std::vector<std::optional<R>>>(d.body)};
  }
};
template <> struct event_traits<call_failed> {
  static std::string key() { return "call_failed"; }
  static call_failed make(const detail::delivery& d) { return {d.id, d.tag, d.reason, d.detail}; }
};
template <> struct event_traits<cancel_turn> {
  static std::string key() { return "cancel_turn"; }
  static cancel_turn make(const detail::delivery& d) { return unpack<cancel_turn>(d.body); }
};
template <> struct event_traits<poisoned> {
  static std::string key() { return "poisoned"; }
  static poisoned make(const detail::delivery& d) { return {d.seq, d.type, d.detail}; }
};

namespace detail {

template <class K, class E>
concept handles_event = requires(typename K::state& s, const E& e, context& c) {
  K::on(s, e, c);
};

/// A kind K as the engine drives it: its state and one handler per inbox key.
template <agent_kind K> class kind_binding final : public session_kind {
public:
  kind_binding() { add(static_cast<typename K::events*>(nullptr)); }

  std::string_view name() const override { return K::name; }

  bool dispatch(const delivery& d, context& ctx) override {
    auto it = handlers_.find(d.key);
    if (it == handlers_.end())
      return false;
    it->second(state_, d, ctx);
    return true;
  }

  std::string save() const override { return pack(state_); }
  void load(std::string_view bytes) override { state_ = unpack<typename K::state>(bytes); }

  const typename K::state& state() const { return state_; }

private:
  using handler = void (*)(typename K::state&, const delivery&, context&);

  template <class... Es> void add(handles<Es...>*) { (add_one<Es>(), ...); }

  template <class E> void add_one() {
    static_assert(handles_event<K, E>,
                  "the kind lists an event in `events` but has no on(state&, const E&, context&)");
    handlers_.emplace(
        event_traits<E>::key(), [](typename K::state& s, const delivery& d, context& ctx) {
          std::optional<E> ev;
          try {
            ev.emplace(event_traits<E>::make(d));
          } catch (const std::exception& e) {
            throw body_error{"the body is not a " + event_traits<E>::key() + ": " + e.what()};
          }
          K::on(s, *ev, ctx);
        });
  }

  typename K::state state_{};
  std::map<std::string, handler, std::less<>> handlers_;
};

} // namespace detail
} // namespace switchyard::agents
