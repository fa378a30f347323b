// OpenIncidents: the incidents open after an analysis tick, most severe first, each shared
// read-only with the IncidentTracker that keeps it. The tracker hands out the same incident
// again while it does not change, so a steady split's incident (its 15 000+ node names) is
// neither copied into every tick's result nor freed with it; a change makes a new copy, and a
// result already handed out keeps the incident as it stood.
//
// Reads like a vector of incidents:
//   for (const v1::Incident& inc : result.open_incidents) ...
//   result.open_incidents[0].id(), .size(), .empty()
//
// Immutable once built; safe to read from any thread.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

class OpenIncidents {
 public:
  using Shared = std::shared_ptr<const guts::diag::v1::Incident>;

  // Walks the incidents as `const Incident&`.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = guts::diag::v1::Incident;
    using difference_type = std::ptrdiff_t;
    using pointer = const guts::diag::v1::Incident*;
    using reference = const guts::diag::v1::Incident&;

    const_iterator() = default;
    explicit const_iterator(std::vector<Shared>::const_iterator it) : it_(it) {}
    reference operator*() const { return **it_; }
    pointer operator->() const { return it_->get(); }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) { return const_iterator(it_++); }
    bool operator==(const const_iterator& other) const { return it_ == other.it_; }
    bool operator!=(const const_iterator& other) const { return it_ != other.it_; }

   private:
    std::vector<Shared>::const_iterator it_;
  };

  OpenIncidents() = default;
  explicit OpenIncidents(std::vector<Shared> shared) : shared_(std::move(shared)) {}
  // Each incident in a share of its own: a list that was not a tracker's (tests, callers that
  // build one by hand) reads the same way.
  OpenIncidents(const std::vector<guts::diag::v1::Incident>& incidents) {  // NOLINT: implicit
    for (const guts::diag::v1::Incident& inc : incidents) Add(inc);
  }
  OpenIncidents(std::initializer_list<guts::diag::v1::Incident> incidents) {  // NOLINT: implicit
    for (const guts::diag::v1::Incident& inc : incidents) Add(inc);
  }

  size_t size() const { return shared_.size(); }
  bool empty() const { return shared_.empty(); }
  const guts::diag::v1::Incident& operator[](size_t k) const { return *shared_[k]; }
  const_iterator begin() const { return const_iterator(shared_.begin()); }
  const_iterator end() const { return const_iterator(shared_.end()); }
  // The share of the k-th incident (the same one across ticks while it is unchanged).
  const Shared& share(size_t k) const { return shared_[k]; }

 private:
  void Add(const guts::diag::v1::Incident& inc) {
    shared_.push_back(std::make_shared<const guts::diag::v1::Incident>(inc));
  }

  std::vector<Shared> shared_;
};

}  // namespace guts::collector
