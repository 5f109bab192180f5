// predwatchd: the daemon. Everything is built, run and stopped by daemon::Application (or,
// with --demo, by daemon::DemoApplication around it).
#include "daemon/common/signal_waiter.h"
#include "daemon/predwatchd/daemon_command_line.h"

int main(int argc, char** argv) {
  using namespace predwatch::daemon;
  DaemonCommand command = parse_daemon_command_line(argc, argv);
  if (!command.run) return command.exit_code;
  if (command.demo) {
    DemoApplication demo(std::move(command.options), std::move(*command.demo));
    SignalWaiter signals([&] { demo.request_stop(); }, [&] { demo.request_reload(); });
    return demo.run();
  }
  Application app(std::move(command.options));
  SignalWaiter signals([&] { app.request_stop(); }, [&] { app.request_reload(); });
  return app.run();
}
