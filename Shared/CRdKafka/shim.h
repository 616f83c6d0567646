// librdkafka's public API and its in-process mock cluster (the development broker and the tests use it).
#pragma once
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
