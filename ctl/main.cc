// gutsctl: the operator's view of the Guts fleet. Everything lives in app.cc and commands/.
#include <unistd.h>

#include <iostream>

#include "ctl/app.h"

int main(int argc, char** argv) {
  return guts::ctl::RunGutsctl(argc, argv, std::cout, std::cerr, isatty(STDOUT_FILENO) != 0);
}
