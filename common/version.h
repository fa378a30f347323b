// The version every guts-diag binary reports (hello, /metrics, --version).
#pragma once

namespace guts {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace guts
