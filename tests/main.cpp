// Catch2 v2 entry point for the unit and end-to-end tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
