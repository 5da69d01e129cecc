// vigil: the agent's command line. All logic lives in the libraries.
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return vigil::agent::run_cli(args, std::cout, std::cerr);
}
