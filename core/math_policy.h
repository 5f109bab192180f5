// The Boost.Math error policy of core/'s statistics: domain, overflow, evaluation and pole
// errors come back as NaN or infinity instead of exceptions (no exceptions on the
// evaluation path); callers check the value.
#pragma once

#include <boost/math/policies/policy.hpp>

namespace predwatch::core {

using NoThrowPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::promote_double<false>>;

}  // namespace predwatch::core
