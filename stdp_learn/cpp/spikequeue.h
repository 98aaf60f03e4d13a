// Spike queue of a synaptic pathway with heterogeneous delays, for Brian2's cpp_standalone
// device (stdp_learn.simulation installs it in place of Brian2's brianlib/spikequeue.h).
//
// The interface is the one Brian2's SynapticPathway calls: prepare, push, peek, advance.
// What differs is how a spike is queued.  Each source neuron's synapses are kept sorted by
// delay (then by index) in one flat array, as runs of equal delay; a spike appends every
// run to its time slot in one block copy.  The generic queue instead appends synapse by
// synapse, with a modulo per synapse; the input pathway of the network (784 x N synapses,
// 0-10 ms delays, 21 distinct delays at dt = 0.5 ms) spends a quarter of its time there.
//
// Every slot receives the same synapse indices in the same order as with the generic
// queue (a spike's synapses of one delay, by increasing index), so the simulation computes
// exactly the same thing.
#ifndef STDP_LEARN_SPIKEQUEUE_H
#define STDP_LEARN_SPIKEQUEUE_H

#include <algorithm>
#include <cstddef>
#include <iostream>
#include <utility>
#include <vector>
#include "stdint_compat.h"

// Brian2's synapses_classes.h, which includes this file, names std::vector unqualified.
using namespace std;

class CSpikeQueue
{
public:
    // Brian2's pathway sets this before prepare: the first synapse index of this queue.
    int openmp_padding;

    CSpikeQueue(int source_start, int source_end)
        : openmp_padding(0), source_start_(source_start), source_end_(source_end),
          current_(0), dt_(0.0)
    {
        slots_.resize(1);
    }

    template <typename scalar>
    void prepare(scalar *real_delays, int n_delays, int32_t *sources, int n_synapses, double dt)
    {
        if (dt_ != 0.0 && dt_ != dt)
            rescale_pending(dt_ / dt);
        dt_ = dt;

        // delay of every synapse in time steps (one shared delay when n_delays == 1)
        std::vector<int> steps(n_synapses, 0);
        int max_steps = 0;
        for (int k = 0; k < n_synapses; k++)
        {
            const int d = n_delays == 0 ? 0 : (int)(real_delays[n_delays == 1 ? 0 : k] / dt + 0.5);
            steps[k] = d;
            max_steps = std::max(max_steps, d);
        }
        ensure_slots(max_steps + 1);

        // synapses grouped by source (counting sort), then ordered by delay within a source
        const int n_sources = source_end_ - source_start_;
        std::vector<int> first(n_sources + 1, 0);
        for (int k = 0; k < n_synapses; k++)
            first[sources[k] - source_start_ + 1]++;
        for (int s = 0; s < n_sources; s++)
            first[s + 1] += first[s];
        std::vector<int> fill(first.begin(), first.end() - 1);
        std::vector<int> by_source(n_synapses);
        for (int k = 0; k < n_synapses; k++)
            by_source[fill[sources[k] - source_start_]++] = k;

        ordered_.assign(n_synapses, 0);
        run_first_.assign(n_sources + 1, 0);
        runs_.clear();
        std::vector<std::pair<int, int> > keyed;
        for (int s = 0; s < n_sources; s++)
        {
            keyed.clear();
            for (int p = first[s]; p < first[s + 1]; p++)
                keyed.push_back(std::make_pair(steps[by_source[p]], by_source[p]));
            std::sort(keyed.begin(), keyed.end());  // by delay, then by synapse index
            for (size_t q = 0; q < keyed.size(); q++)
            {
                const int position = first[s] + (int)q;
                ordered_[position] = keyed[q].second + openmp_padding;
                if (q == 0 || keyed[q].first != keyed[q - 1].first)
                    runs_.push_back(Run(keyed[q].first, position, position + 1));
                else
                    runs_.back().stop = position + 1;
            }
            run_first_[s + 1] = (int)runs_.size();
        }
    }

    void push(int32_t *spikes, int nspikes)
    {
        if (nspikes == 0)
            return;
        // the spikes are sorted: keep those of this pathway's source range
        const int32_t *last = spikes + nspikes;
        const int32_t *begin = std::lower_bound((const int32_t *)spikes, last, (int32_t)source_start_);
        const int32_t *end = std::lower_bound(begin, last, (int32_t)source_end_);
        const int n_slots = (int)slots_.size();
        const int32_t *ordered = ordered_.empty() ? NULL : &ordered_[0];
        for (const int32_t *spike = begin; spike != end; ++spike)
        {
            const int s = *spike - source_start_;
            for (int r = run_first_[s]; r < run_first_[s + 1]; r++)
            {
                const Run &run = runs_[r];
                int slot = current_ + run.delay;
                if (slot >= n_slots)
                    slot -= n_slots;
                std::vector<int32_t> &queued = slots_[slot];
                queued.insert(queued.end(), ordered + run.start, ordered + run.stop);
            }
        }
    }

    std::vector<int32_t> *peek()
    {
        return &slots_[current_];
    }

    void advance()
    {
        slots_[current_].clear();  // keeps its capacity
        current_ = current_ + 1 == (int)slots_.size() ? 0 : current_ + 1;
    }

    // store/restore, as Brian2's queue: (offset of the current slot, all slots)
    std::pair<int, std::vector<std::vector<int32_t> > > _full_state() const
    {
        return std::make_pair(current_, slots_);
    }

    void _restore_from_full_state(const std::pair<int, std::vector<std::vector<int32_t> > > state)
    {
        slots_ = state.second;
        if (slots_.empty())
            slots_.resize(1);
        current_ = state.first;
    }

    void _clear() {}

private:
    struct Run
    {
        int delay, start, stop;
        Run(int d, int a, int b) : delay(d), start(a), stop(b) {}
    };

    void ensure_slots(int n)
    {
        if (n <= (int)slots_.size())
            return;
        // unroll the ring so that the current slot comes first, then grow it
        std::rotate(slots_.begin(), slots_.begin() + current_, slots_.end());
        current_ = 0;
        slots_.resize(n);
    }

    void rescale_pending(double factor)
    {
        // dt changed between runs: move queued spikes to the slot of the same time
        std::vector<std::vector<int32_t> > old(slots_);
        const int n_old = (int)old.size();
        slots_.assign((int)(n_old * factor) + 1, std::vector<int32_t>());
        for (int k = 0; k < n_old; k++)
            slots_[(int)(k * factor + 0.5)] = old[(k + current_) % n_old];
        current_ = 0;
    }

    int source_start_, source_end_;
    int current_;
    double dt_;
    std::vector<std::vector<int32_t> > slots_;
    std::vector<int32_t> ordered_;  // synapse indices by source, then delay, then index
    std::vector<Run> runs_;         // runs of equal delay within a source's synapses
    std::vector<int> run_first_;    // runs of source s: run_first_[s] .. run_first_[s + 1]
};

// Brian2 2.10 writes every queue's state into the results at the end of a run with these,
// defined in its brianlib/spikequeue.cpp from _full_state and _restore_from_full_state;
// Brian2 2.9 has no such file and never calls them.
std::ostream& operator<<(std::ostream& os, const CSpikeQueue& queue);
std::istream& operator>>(std::istream& is, CSpikeQueue& queue);

#endif
