// predwatchd: the daemon. Everything is built, run and stopped by daemon::Application.
#include "daemon/app/application.h"
#include "daemon/app/daemon_command_line.h"
#include "daemon/app/signal_waiter.h"

int main(int argc, char** argv) {
  using namespace predwatch::daemon;
  DaemonCommand command = parse_daemon_command_line(argc, argv);
  if (!command.run) return command.exit_code;
  Application app(std::move(command.options));
  SignalWaiter signals([&] { app.request_stop(); }, [&] { app.request_reload(); });
  return app.run();
}
