#pragma once
// TcpTransport: MQTT over a plain TCP socket on the event loop.

#include <memory>
#include <string>

#include "pimqttd/core/buffer.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::mqtt {

class TcpTransport final : public Transport {
 public:
  TcpTransport(core::EventLoop& loop, core::Worker& worker);
  ~TcpTransport() override;

  void set_callbacks(Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
  void connect(const Endpoint& endpoint) override;
  void send(ByteSpan bytes) override;
  [[nodiscard]] std::size_t pending_output() const noexcept override {
    return output_.size();
  }
  void close() noexcept override;
  void acknowledge_received() noexcept override;
  [[nodiscard]] bool connected() const noexcept override { return socket_.valid(); }
  [[nodiscard]] std::string peer() const override { return peer_; }

 private:
  void on_io(std::uint32_t events);
  /// Reads what is there; false when the connection ended (and on_closed was called).
  bool read_available();
  /// Writes what the kernel takes; false when the connection ended.
  bool write_pending();
  void fail(std::error_code error);
  void update_interest();

  core::EventLoop& loop_;
  Connector connector_;
  Callbacks callbacks_;
  core::UniqueFd socket_;
  core::WatchHandle watch_;  ///< of socket_; asks for writability only while output is pending
  std::string peer_;
  core::Buffer output_;
  std::vector<std::uint8_t> read_buffer_;
  /// Bumped by every close(): a callback that closed the transport stops the caller's loop.
  std::uint64_t generation_ = 0;
};

}  // namespace pimqttd::mqtt
