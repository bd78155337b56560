//! Coroutines: creating a thread, resuming it (its stack, frames and open upvalues swapped with the running
//! ones, see the module header of [`super`]) and yielding from it.

use super::Exec;
use crate::lua::heap::{Function, Thread, ThreadStatus};
use crate::lua::value::{LuaError, ThreadRef, Value};
use crate::lua::Lua;
use std::any::Any;

impl Lua {
    // ------------------------------------------------------------------------------------------------------------
    // Coroutines
    // ------------------------------------------------------------------------------------------------------------

    /// A new suspended coroutine that will run `f`.
    pub fn new_thread(&mut self, f: Value) -> ThreadRef {
        self.heap.new_thread(Thread {
            stack: Vec::new(),
            frames: Vec::new(),
            open_upvals: Vec::new(),
            status: ThreadStatus::Suspended,
            start: f,
        })
    }

    /// The status name `coroutine.status` reports.
    pub fn thread_status(&self, co: ThreadRef) -> &'static str {
        if co == self.current {
            return "running";
        }
        match self.heap.thread(co).status {
            ThreadStatus::Suspended => "suspended",
            ThreadStatus::Running => "running",
            ThreadStatus::Normal => "normal",
            ThreadStatus::Dead => "dead",
        }
    }

    /// Resume `co` with `args`. `Ok(Ok(values))`: it yielded or returned these values; `Ok(Err(value))`: it
    /// could not be resumed or raised an error (it is dead then); `Err`: an uncatchable error.
    pub fn resume(
        &mut self,
        host: &mut dyn Any,
        co: ThreadRef,
        args: &[Value],
    ) -> Result<Result<Vec<Value>, Value>, LuaError> {
        let status = self.thread_status(co);
        if status != "suspended" {
            let msg = format!("cannot resume {status} coroutine");
            return Ok(Err(self.new_str(msg.as_bytes())));
        }
        if self.native_depth >= self.max_native_depth {
            return Ok(Err(self.new_str(b"C stack overflow")));
        }
        // Swap the running thread out and `co` in.
        let me = self.current;
        let saved = (self.base, self.native_name, self.vm.base_ccalls);
        {
            let stack = std::mem::take(&mut self.stack);
            let frames = std::mem::take(&mut self.frames);
            let ups = std::mem::take(&mut self.open_upvals);
            let th = self.heap.thread_mut(me);
            th.stack = stack;
            th.frames = frames;
            th.open_upvals = ups;
            th.status = ThreadStatus::Normal;
        }
        {
            let th = self.heap.thread_mut(co);
            self.stack = std::mem::take(&mut th.stack);
            self.frames = std::mem::take(&mut th.frames);
            self.open_upvals = std::mem::take(&mut th.open_upvals);
            th.status = ThreadStatus::Running;
        }
        self.current = co;
        self.native_depth += 1;
        self.vm.base_ccalls = self.native_depth;

        let r = self.resume_inner(host, co, args);

        let outcome = match r {
            Ok(Exec::Yield) => {
                self.vm.yielding = false;
                let n = self.vm.yield_count.min(self.stack.len());
                let vals = self.stack[self.stack.len() - n..].to_vec();
                self.stack.truncate(self.stack.len() - n);
                self.heap.thread_mut(co).status = ThreadStatus::Suspended;
                Ok(Ok(vals))
            }
            Ok(Exec::Done) => {
                let vals = std::mem::take(&mut self.stack);
                self.close_upvals(0);
                self.frames.clear();
                self.heap.thread_mut(co).status = ThreadStatus::Dead;
                Ok(Ok(vals))
            }
            Err(e) => {
                self.vm.yielding = false;
                self.close_upvals(0);
                self.heap.thread_mut(co).status = ThreadStatus::Dead;
                if e.catchable() {
                    Ok(Err(e.value))
                } else {
                    Err(e)
                }
            }
        };
        // Swap back.
        {
            let stack = std::mem::take(&mut self.stack);
            let frames = std::mem::take(&mut self.frames);
            let ups = std::mem::take(&mut self.open_upvals);
            let th = self.heap.thread_mut(co);
            th.stack = stack;
            th.frames = frames;
            th.open_upvals = ups;
            if th.status == ThreadStatus::Dead {
                th.stack = Vec::new();
                th.frames = Vec::new();
            }
        }
        {
            let th = self.heap.thread_mut(me);
            self.stack = std::mem::take(&mut th.stack);
            self.frames = std::mem::take(&mut th.frames);
            self.open_upvals = std::mem::take(&mut th.open_upvals);
            th.status = ThreadStatus::Running;
        }
        self.current = me;
        self.native_depth -= 1;
        (self.base, self.native_name, self.vm.base_ccalls) = saved;
        outcome
    }

    pub(super) fn resume_inner(&mut self, host: &mut dyn Any, co: ThreadRef, args: &[Value]) -> Result<Exec, LuaError> {
        if self.frames.is_empty() {
            // First resume: call the body with the arguments.
            let start = self.heap.thread(co).start;
            self.stack.clear();
            self.stack.push(start);
            self.stack.extend_from_slice(args);
            let fv = start;
            if let Value::Func(f) = fv {
                match self.heap.func(f) {
                    Function::Lua(c) => {
                        let p = c.proto.clone();
                        self.precall_lua(0, &p, -1)?;
                        return self.execute(host, 1);
                    }
                    Function::Native(n) => {
                        let (nf, name) = (n.f, n.name);
                        return Ok(if self.call_native(host, 0, nf, name, -1)? { Exec::Yield } else { Exec::Done });
                    }
                }
            }
            return Err(self.op_type_error(fv, None, "call"));
        }
        // Resuming after a yield: the yield's native frame is on top and takes `args` as its results.
        let fr = match self.frames.pop() {
            Some(f) => f,
            None => return Err(self.vm_error("internal error: suspended coroutine without frames")),
        };
        self.stack.extend_from_slice(args);
        self.poscall(fr.func, args.len(), fr.nresults);
        if self.frames.is_empty() {
            return Ok(Exec::Done);
        }
        if fr.nresults >= 0 {
            if let Some(caller) = self.frames.last() {
                let top = caller.top;
                self.set_top(top);
            }
        }
        self.execute(host, 1)
    }

    /// The body of `coroutine.yield`: called by a native with its `n` values on top of the stack. Returns the
    /// count the native must return.
    pub fn yield_values(&mut self, n: usize) -> Result<usize, LuaError> {
        if self.current == self.main_thread || self.native_depth > self.vm.base_ccalls {
            return Err(self.vm_error("attempt to yield across metamethod/C-call boundary"));
        }
        self.vm.yielding = true;
        self.vm.yield_count = n;
        Ok(n)
    }
}
