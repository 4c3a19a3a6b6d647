//! The Rust side of each parity scenario: the same program as
//! `<name>.js`, written against eddy-node. Each prints with `println!`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use eddy_node::timers::{
    clear_immediate, clear_interval, clear_timeout, refreshable, set_immediate, set_interval,
    set_timeout,
};
use eddy_node::{fs, net, next_tick, queue_microtask};

/// One scenario: its name (the `.js` file's stem), extra environment for
/// both processes, and the Rust program.
pub struct Scenario {
    pub name: &'static str,
    pub env: &'static [(&'static str, &'static str)],
    pub run: fn(),
}

const ONE_THREAD: &[(&str, &str)] = &[("UV_THREADPOOL_SIZE", "1"), ("EDDY_THREADPOOL_SIZE", "1")];

macro_rules! env_or_none {
    () => {
        &[]
    };
    ($env:expr) => {
        $env
    };
}

macro_rules! scenarios {
    ($($name:ident $(with $env:expr)?),* $(,)?) => {
        pub const SCENARIOS: &[Scenario] = &[$(Scenario {
            name: stringify!($name),
            env: env_or_none!($($env)?),
            run: $name,
        }),*];
    };
}

scenarios! {
    timers_different_delays,
    timers_equal_delays,
    timeout_zero_is_one_ms,
    immediate_before_timeout_in_io,
    immediate_vs_timeout_top_level,
    next_ticks_nested,
    microtasks_after_next_ticks,
    microtask_queues_tick_and_microtask,
    ticks_drained_after_each_timer,
    ticks_drained_after_each_immediate,
    interval_clears_itself,
    immediates_from_immediates_run_next_iteration,
    immediate_before_timeout_in_timer,
    clear_before_fire,
    unref_timer_does_not_keep_loop_alive,
    unref_interval_lets_loop_exit,
    ref_after_unref_keeps_loop_alive,
    refresh_restarts_the_delay,
    refresh_keeps_an_unrefd_timer_unrefd,
    refresh_after_fire_runs_again,
    refresh_after_fire_stays_unrefd,
    refresh_inside_own_callback,
    missing_file_error,
    missing_dir_errors,
    write_read_append_unlink,
    mkdir_rename_readdir,
    pool_order_with_one_thread with ONE_THREAD,
    pool_more_work_than_threads,
    async_function_interleaves_with_ticks,
    sleep_and_timeouts_share_the_timer_order,
    uncaught_panic_stops_the_loop,
    uncaught_handler_keeps_the_loop_running,
    net_data_end_close_order,
    close_callbacks_order,
    connect_refused_error,
    write_backpressure_and_drain,
    timer_delay_counts_from_the_call,
}

/// Runs the named scenario on a fresh loop; the process exit code.
pub fn run_scenario(name: &str) -> i32 {
    let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
        eprintln!("unknown scenario {name}");
        return 2;
    };
    match eddy_node::run(scenario.run) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("{err}");
            1
        }
    }
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(std::env::var("PARITY_TMP").expect("PARITY_TMP is set by the driver")).join(name)
}

fn or_null<T>(result: &Result<T, eddy_node::Error>) -> String {
    match result {
        Ok(_) => "null".into(),
        Err(e) => format!("Error: {e}"),
    }
}

/// JavaScript's `await null`: gives way for one microtask turn.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn timers_different_delays() {
    set_timeout(30, || println!("30"));
    set_timeout(10, || println!("10"));
    set_timeout(20, || println!("20"));
    println!("main");
}

fn timers_equal_delays() {
    for i in 0..5 {
        set_timeout(10, move || println!("timer {i}"));
    }
}

fn timeout_zero_is_one_ms() {
    set_timeout(1, || println!("a: 1ms"));
    set_timeout(0, || println!("b: 0ms"));
    set_timeout(1, || println!("c: 1ms"));
}

fn immediate_before_timeout_in_io() {
    fs::read_file("fixture.txt", |_| {
        set_timeout(0, || println!("timeout"));
        set_immediate(|| println!("immediate"));
    });
}

fn immediate_vs_timeout_top_level() {
    // Racy in Node at top level: compare the sorted set only.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (a, b, c) = (seen.clone(), seen.clone(), seen);
    set_timeout(0, move || a.borrow_mut().push("timeout"));
    set_immediate(move || b.borrow_mut().push("immediate"));
    set_timeout(20, move || {
        let mut seen = c.borrow_mut();
        seen.sort();
        println!("{}", seen.join(","));
    });
}

fn next_ticks_nested() {
    queue_microtask(|| println!("microtask"));
    next_tick(|| {
        println!("tick 1");
        next_tick(|| {
            println!("tick 1.1");
            next_tick(|| println!("tick 1.1.1"));
        });
    });
    next_tick(|| println!("tick 2"));
    println!("main");
}

fn microtasks_after_next_ticks() {
    // `Promise.resolve().then(f)` queues f as a microtask.
    queue_microtask(|| println!("promise"));
    queue_microtask(|| println!("microtask"));
    next_tick(|| println!("tick"));
    println!("main");
}

fn microtask_queues_tick_and_microtask() {
    queue_microtask(|| {
        println!("microtask 1");
        next_tick(|| println!("tick from microtask"));
        queue_microtask(|| println!("microtask 2"));
    });
}

fn ticks_drained_after_each_timer() {
    set_timeout(5, || {
        println!("timer 1");
        next_tick(|| println!("tick from timer 1"));
        queue_microtask(|| println!("microtask from timer 1"));
    });
    set_timeout(5, || println!("timer 2"));
}

fn ticks_drained_after_each_immediate() {
    set_immediate(|| {
        println!("immediate 1");
        queue_microtask(|| println!("microtask from immediate 1"));
        next_tick(|| println!("tick from immediate 1"));
    });
    set_immediate(|| println!("immediate 2"));
}

fn interval_clears_itself() {
    let n = Cell::new(0);
    let handle = Rc::new(Cell::new(None));
    let h = handle.clone();
    handle.set(Some(set_interval(2, move || {
        n.set(n.get() + 1);
        println!("tick {}", n.get());
        if n.get() == 3 {
            clear_interval(&h.get().expect("set before the first tick"));
            println!("cleared");
        }
    })));
}

fn immediates_from_immediates_run_next_iteration() {
    set_immediate(|| {
        println!("A");
        set_immediate(|| println!("C (next iteration)"));
    });
    set_immediate(|| println!("B"));
}

fn immediate_before_timeout_in_timer() {
    set_timeout(2, || {
        set_timeout(0, || println!("timeout"));
        set_immediate(|| println!("immediate"));
    });
}

fn clear_before_fire() {
    let t = set_timeout(1, || println!("cleared timeout ran"));
    clear_timeout(&t);
    let i = set_immediate(|| println!("cleared immediate ran"));
    clear_immediate(&i);
    set_timeout(2, || println!("kept"));
}

fn unref_timer_does_not_keep_loop_alive() {
    set_timeout(5000, || println!("unref ran")).unref();
    set_timeout(5, || println!("ref ran"));
}

fn unref_interval_lets_loop_exit() {
    set_interval(5000, || println!("interval ran")).unref();
    next_tick(|| println!("tick"));
    println!("main");
}

fn ref_after_unref_keeps_loop_alive() {
    let t = set_timeout(5, || println!("fired"));
    t.unref();
    t.ref_();
    println!("hasRef {}", t.has_ref());
}

fn refresh_restarts_the_delay() {
    let t = set_timeout(30, || println!("refreshed timer"));
    set_timeout(35, || println!("35 ms timer"));
    set_timeout(10, move || {
        println!("refresh");
        t.refresh();
    });
}

fn refresh_keeps_an_unrefd_timer_unrefd() {
    let t = set_timeout(40, || println!("unref timer fired"));
    t.unref();
    set_timeout(10, move || {
        t.refresh();
        println!("hasRef after refresh {}", t.has_ref());
    });
    set_timeout(20, || println!("last ref timer"));
}

/// A slot for a timer's own handle, filled right after it is set.
type TimeoutSlot = Rc<Cell<Option<eddy_node::timers::Timeout>>>;

fn refresh_after_fire_runs_again() {
    let slot = TimeoutSlot::default();
    let (me, n) = (slot.clone(), Cell::new(0));
    let t = set_timeout(
        5,
        refreshable(move || {
            n.set(n.get() + 1);
            println!("fire {}", n.get());
            if n.get() == 1 {
                let t = me.get().unwrap();
                set_timeout(5, move || {
                    t.refresh();
                    println!("refreshed, hasRef {}", t.has_ref());
                });
            }
        }),
    );
    slot.set(Some(t));
}

fn refresh_after_fire_stays_unrefd() {
    let n = Cell::new(0);
    let t = set_timeout(
        30,
        refreshable(move || {
            n.set(n.get() + 1);
            println!("fire {}", n.get());
        }),
    );
    t.unref();
    set_timeout(35, move || {
        t.refresh();
        println!("refreshed, hasRef {}", t.has_ref());
    });
    set_timeout(40, || println!("last ref timer"));
}

fn refresh_inside_own_callback() {
    let slot = TimeoutSlot::default();
    let (me, n) = (slot.clone(), Cell::new(0));
    let t = set_timeout(
        5,
        refreshable(move || {
            n.set(n.get() + 1);
            println!("fire {}", n.get());
            if n.get() < 3 {
                me.get().unwrap().refresh();
            }
        }),
    );
    slot.set(Some(t));
    set_timeout(1, || println!("1 ms timer"));
}

fn missing_file_error() {
    fs::read_file("does-not-exist.txt", |result| {
        let err = result.unwrap_err();
        println!("{}", err.code());
        println!("{}", err.syscall().unwrap_or("-"));
        println!("{err}");
    });
}

fn missing_dir_errors() {
    fs::readdir("no-such-dir", |result| {
        println!("{}", result.unwrap_err());
        fs::stat("no-such-dir/x", |result| {
            println!("{}", result.unwrap_err());
            fs::unlink("no-such-file", |result| println!("{}", result.unwrap_err()));
        });
    });
}

fn write_read_append_unlink() {
    let p = tmp("w.txt");
    fs::write_file(p.clone(), "one\n", move |r| {
        println!("write {}", or_null(&r));
        fs::append_file(p.clone(), "two\n", move |r| {
            println!("append {}", or_null(&r));
            fs::read_file(p.clone(), move |text| {
                print!("{}", String::from_utf8_lossy(&text.unwrap()));
                fs::stat(p.clone(), move |st| {
                    let st = st.unwrap();
                    println!("size {} file {}", st.size, st.is_file);
                    fs::unlink(p, |r| println!("unlink {}", or_null(&r)));
                });
            });
        });
    });
}

fn mkdir_rename_readdir() {
    let d = tmp("dir");
    fs::mkdir(d.clone(), false, move |r| {
        println!("mkdir {}", or_null(&r));
        fs::mkdir(d.clone(), false, move |r| {
            println!("{}", r.unwrap_err().code());
            fs::write_file(d.join("b"), "x", move |_| {
                fs::rename(d.join("b"), d.join("a"), move |r| {
                    println!("rename {}", or_null(&r));
                    fs::readdir(d, |names| println!("{}", names.unwrap().join(",")));
                });
            });
        });
    });
}

fn pool_order_with_one_thread() {
    for i in 0..8 {
        fs::read_file("fixture.txt", move |_| println!("read {i}"));
    }
}

fn pool_more_work_than_threads() {
    let done = Rc::new(RefCell::new(Vec::new()));
    for i in 0..12 {
        let done = done.clone();
        fs::read_file("fixture.txt", move |_| {
            let mut done = done.borrow_mut();
            done.push(i);
            if done.len() == 12 {
                done.sort();
                let list: Vec<String> = done.iter().map(|i| i.to_string()).collect();
                println!("{}", list.join(","));
            }
        });
    }
}

fn async_function_interleaves_with_ticks() {
    eddy_node::spawn(async {
        println!("async start");
        YieldOnce(false).await;
        println!("after await 1");
        YieldOnce(false).await;
        println!("after await 2");
    });
    next_tick(|| println!("tick"));
    queue_microtask(|| println!("microtask"));
    println!("main end");
}

fn sleep_and_timeouts_share_the_timer_order() {
    set_timeout(10, || println!("timeout 10 first"));
    eddy_node::spawn(async {
        eddy_node::timers::sleep(10).await;
        println!("sleep 10");
    });
    set_timeout(10, || println!("timeout 10 second"));
}

fn uncaught_panic_stops_the_loop() {
    println!("before");
    set_timeout(1, || panic!("boom"));
    set_timeout(50, || println!("never printed"));
}

fn uncaught_handler_keeps_the_loop_running() {
    eddy_node::on_uncaught(|u| {
        let message = u
            .payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default();
        println!("caught {message}");
    });
    set_timeout(1, || panic!("boom"));
    set_timeout(10, || println!("still running"));
}

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

fn net_data_end_close_order() {
    let server_log: Log = Rc::default();
    let client_log: Log = Rc::default();
    let sl = server_log.clone();
    let server = net::create_server(move |s| {
        let (l1, l2, l3, s2) = (sl.clone(), sl.clone(), sl.clone(), s.clone());
        s.on_data(move |d| {
            let d = String::from_utf8_lossy(d).into_owned();
            push(&l1, format!("data {d}"));
            s2.write(format!("echo {d}"));
        });
        s.on_end(move || push(&l2, "end"));
        s.on_close(move |_| push(&l3, "close"));
    });
    let srv = server.clone();
    server.listen("127.0.0.1:0", move |addr| {
        let c = net::connect(&addr.unwrap().to_string());
        let (cl, c2) = (client_log.clone(), c.clone());
        c.on_connect(move || {
            push(&cl, "connect");
            c2.write("hello");
        });
        let (cl, c2) = (client_log.clone(), c.clone());
        c.on_data(move |d| {
            push(&cl, format!("data {}", String::from_utf8_lossy(d)));
            c2.end("");
        });
        let cl = client_log.clone();
        c.on_end(move || push(&cl, "end"));
        c.on_close(move |_| {
            push(&client_log, "close");
            let (sl, cl) = (server_log.clone(), client_log.clone());
            srv.close(move || {
                println!("server socket: {}", sl.borrow().join(", "));
                println!("client socket: {}", cl.borrow().join(", "));
                println!("server closed");
            });
        });
    });
}

fn close_callbacks_order() {
    let server = net::create_server(|_| {});
    let srv = server.clone();
    server.listen("127.0.0.1:0", move |addr| {
        let addr = addr.unwrap().to_string();
        let c1 = net::connect(&addr);
        let c2 = net::connect(&addr);
        let connected = Rc::new(Cell::new(0));
        let closed = Rc::new(Cell::new(0));
        for c in [&c1, &c2] {
            let (connected, c1, c2) = (connected.clone(), c1.clone(), c2.clone());
            c.on_connect(move || {
                connected.set(connected.get() + 1);
                if connected.get() < 2 {
                    return;
                }
                c2.destroy();
                c1.destroy();
                set_immediate(|| println!("immediate"));
                next_tick(|| println!("tick"));
            });
        }
        for (name, c) in [("c1", &c1), ("c2", &c2)] {
            let (closed, srv) = (closed.clone(), srv.clone());
            c.on_close(move |_| {
                println!("{name} close");
                closed.set(closed.get() + 1);
                if closed.get() == 2 {
                    srv.close(|| println!("server closed"));
                }
            });
        }
    });
}

fn connect_refused_error() {
    let probe = net::create_server(|_| {});
    let p = probe.clone();
    probe.listen("127.0.0.1:0", move |addr| {
        let addr = addr.unwrap().to_string();
        p.close(move || {
            let c = net::connect(&addr);
            c.on_error(|err| println!("error {} {}", err.code(), err.syscall().unwrap_or("-")));
            c.on_close(|had_error| println!("close hadError={had_error}"));
        });
    });
}

fn write_backpressure_and_drain() {
    let received = Rc::new(Cell::new(0));
    let server = net::create_server(move |s| {
        let (r1, r2, s2) = (received.clone(), received.clone(), s.clone());
        s.on_data(move |d| r1.set(r1.get() + d.len()));
        s.on_end(move || {
            println!("server got {} bytes", r2.get());
            s2.end("");
        });
    });
    let srv = server.clone();
    server.listen("127.0.0.1:0", move |addr| {
        let c = net::connect(&addr.unwrap().to_string());
        let c2 = c.clone();
        c.on_connect(move || {
            println!("small write returned {}", c2.write("x"));
            println!(
                "big write returned {}",
                c2.write(vec![b'x'; 4 * 1024 * 1024])
            );
            let c3 = c2.clone();
            c2.on_drain(move || {
                println!("drain");
                c3.end("");
            });
        });
        c.on_close(move |_| {
            println!("client close");
            srv.close(|| println!("server closed"));
        });
    });
}

fn timer_delay_counts_from_the_call() {
    set_timeout(60, || println!("A: 60 ms, set first"));
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_millis(50) {}
    set_timeout(20, || println!("B: 20 ms, set 50 ms later"));
}
