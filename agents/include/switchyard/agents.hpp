#pragma once
// The agent API: what a user's kinds include.

#include "switchyard/agents/body.hpp"
#include "switchyard/agents/context.hpp"
#include "switchyard/agents/effect_id.hpp"
#include "switchyard/agents/events.hpp"
#include "switchyard/agents/kind.hpp"
