/* pool.h - chapter 11's fast Pool: chapter 05's API and guarantees, with
 * more speed for more code.
 *
 * This folder implements chapter 05's pool.h exactly (included below), so
 * a program written for that pool links with this one unchanged: cost_pool.c
 * linked with these files is cost_pool_fast. What it trades for speed:
 *
 *   a window per worker  map's chunks may wait in a busy worker's pipe (two
 *                        chunks, or up to 32 items): the worker starts the
 *                        next at once instead of waiting for the parent to
 *                        wake up. apply_async still goes to an idle worker
 *                        only. The price: a list of tasks per worker, and a
 *                        dead worker's unstarted tasks go back to the queue.
 *                        (pool_fast_io.c: can_take; pool_fast_tasks.c)
 *   output buffered      tasks are framed into a buffer per worker and
 *                        written without blocking, many to one write(2);
 *                        what a full pipe does not take waits for poll(2)
 *                        to say there is room. (pool_fast_io.c: pool_flush)
 *   input in batches     one read(2) takes whatever a pipe holds, many
 *                        messages at once, in both directions.
 *                        (pool_fast_io.c, pool_fast_worker.c)
 *   two pipes a worker   a task pipe and a result pipe instead of one
 *                        socketpair: a pipe round trip is cheaper here
 *                        (cost_ipc: pipe_rt against sock_rt); the price is
 *                        SIGPIPE to handle by hand. (pool_fast_worker.c:
 *                        pool_spawn; pool_fast_io.c: pool_flush)
 *
 * pool_fast_impl.h holds the layouts the files share, pool_fast.c the API.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_FAST_POOL_H
#define WORKBOOK_FAST_POOL_H

#include "../../05-pool/pool.h"

#define POOL_IMPL "fast"        /* the label cost_pool reports */

#endif
