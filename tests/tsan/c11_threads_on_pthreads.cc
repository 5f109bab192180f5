// ThreadSanitizer builds only (PREDWATCH_SANITIZE_THREAD, tests/CMakeLists.txt): the C11
// thread functions (<threads.h>) re-implemented on the POSIX ones, linked into the test binary.
//
// Why: librdkafka creates its threads with thrd_create and locks with mtx_lock / cnd_wait.
// glibc implements those by calling its internal pthread functions directly, so g++ 12's
// libtsan (which intercepts pthread_create, pthread_mutex_lock, ... but not the C11 names)
// never hears of librdkafka's threads: their first intercepted call (malloc) finds no TSan
// thread state and crashes (SIGSEGV in SizeClassAllocator64LocalCache::Allocate), and the
// locks between them and our threads would be invisible. Defined in the executable, these
// functions take precedence over glibc's for librdkafka (symbol interposition, the way the
// sanitizers' own interceptors work) and call the pthread functions TSan does intercept.
// glibc's C11 types are the pthread ones underneath (mtx_t is a pthread_mutex_t, cnd_t a
// pthread_cond_t, once_flag a pthread_once_t: same size and layout), so the casts hold.
//
// Only what librdkafka imports is here (nm -D --undefined-only librdkafka.so.1: thrd_create,
// thrd_join, mtx_init/lock/unlock/destroy, cnd_*, call_once; thrd_current is pthread_self).
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <new>

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(once_flag) == sizeof(pthread_once_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

namespace {

struct Start {
  thrd_start_t fn;
  void* arg;
};

void* run(void* p) {
  const Start start = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  return reinterpret_cast<void*>(static_cast<intptr_t>(start.fn(start.arg)));
}

int result(int pthread_error) {
  switch (pthread_error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    default:
      return thrd_error;
  }
}

pthread_mutex_t* pm(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* pc(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  auto* start = new (std::nothrow) Start{func, arg};
  if (!start) return thrd_nomem;
  pthread_t t;
  const int err = pthread_create(&t, nullptr, run, start);
  if (err != 0) {
    delete start;
    return result(err);
  }
  *thr = t;
  return thrd_success;
}

int thrd_join(thrd_t thr, int* res) {
  void* ret = nullptr;
  const int err = pthread_join(thr, &ret);
  if (err == 0 && res) *res = static_cast<int>(reinterpret_cast<intptr_t>(ret));
  return result(err);
}

int thrd_detach(thrd_t thr) { return result(pthread_detach(thr)); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int err = pthread_mutex_init(pm(m), &attr);
  pthread_mutexattr_destroy(&attr);
  return result(err);
}

int mtx_lock(mtx_t* m) { return result(pthread_mutex_lock(pm(m))); }
int mtx_trylock(mtx_t* m) { return result(pthread_mutex_trylock(pm(m))); }
int mtx_unlock(mtx_t* m) { return result(pthread_mutex_unlock(pm(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(pm(m)); }

int cnd_init(cnd_t* c) { return result(pthread_cond_init(pc(c), nullptr)); }
int cnd_signal(cnd_t* c) { return result(pthread_cond_signal(pc(c))); }
int cnd_broadcast(cnd_t* c) { return result(pthread_cond_broadcast(pc(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return result(pthread_cond_wait(pc(c), pm(m))); }
int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* abs_utc) {
  return result(pthread_cond_timedwait(pc(c), pm(m), abs_utc));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(pc(c)); }

void call_once(once_flag* flag, void (*func)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

}  // extern "C"
